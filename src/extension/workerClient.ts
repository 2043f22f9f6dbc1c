// Lifecycle of the worker process: fork on first use, JSON-RPC over IPC, an explicit state machine,
// idempotent stop with a deadline then SIGKILL, crash reporting with the tail of its stderr, and a cap
// on automatic restarts (the lsp client's shutdown / DefaultErrorHandler pattern). No heavy work here:
// the worker does it all in its own process.
import { fork, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, Trace, type MessageConnection } from 'vscode-jsonrpc/node';
import { EVAL_API_KEY_ENV, RunEventNotification, type RequestDef, type RunEventParams } from '../worker/protocol';
import { runsOnGlibc, withHugePages } from '../worker/protocol/launch-env';
import { onNotification, sendRequest } from '../worker/protocol/rpc';
import { traceLevel } from './config';
import type { Log } from './log';

export enum WorkerState {
  Stopped = 'stopped',
  Starting = 'starting',
  Running = 'running',
  Stopping = 'stopping',
  /** exited without being asked to; the next request starts a new one unless it crashes too often */
  Crashed = 'crashed',
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** we asked it to stop (stop() or kill()) */
  expected: boolean;
  stderrTail: string[];
}

const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 3 * 60_000;

export class WorkerClient implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private conn: MessageConnection | undefined;
  private starting: Promise<MessageConnection> | undefined;
  private stopping = false;
  private crashes: number[] = [];
  private stderrTail: string[] = [];
  private _state = WorkerState.Stopped;

  private readonly events = new vscode.EventEmitter<RunEventParams>();
  private readonly exits = new vscode.EventEmitter<WorkerExit>();
  private readonly states = new vscode.EventEmitter<WorkerState>();
  readonly onRunEvent = this.events.event;
  readonly onExit = this.exits.event;
  readonly onState = this.states.event;

  constructor(
    private readonly workerPath: string,
    private readonly log: Log,
    private readonly token: () => Promise<string | undefined>,
    private readonly endpointKey?: () => Promise<string | undefined>,
  ) {}

  get state(): WorkerState {
    return this._state;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private setState(s: WorkerState): void {
    this._state = s;
    this.states.fire(s);
  }

  async request<M extends string, P, R>(def: RequestDef<M, P, R>, params: P, token?: vscode.CancellationToken): Promise<R> {
    const conn = await this.connection();
    try {
      return await sendRequest(conn, def, params, token);
    } catch (e) {
      throw withoutMethod(def.method, e);
    }
  }

  private connection(): Promise<MessageConnection> {
    if (this.conn && this._state === WorkerState.Running) return Promise.resolve(this.conn);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<MessageConnection> {
    // the single choke point for Workspace Trust: no worker, hence no model loading, when untrusted
    if (!vscode.workspace.isTrusted) throw new Error('GReaTer does not start its worker in an untrusted workspace; trust the workspace first');
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < CRASH_WINDOW_MS);
    if (this.crashes.length >= MAX_CRASHES) {
      throw new Error(`the GReaTer worker crashed ${this.crashes.length} times in ${CRASH_WINDOW_MS / 60_000} minutes; ` +
        'not restarting it now. See the "GReaTer" output for its log, then try again in a few minutes.');
    }
    this.setState(WorkerState.Starting);
    const base = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const env: NodeJS.ProcessEnv = withHugePages(base, process.platform, runsOnGlibc()) ?? base;
    delete env.HF_TOKEN;
    delete env[EVAL_API_KEY_ENV];
    const token = await this.token();
    if (token) env.HF_TOKEN = token; // the only way the token leaves SecretStorage
    const endpointKey = await this.endpointKey?.();
    if (endpointKey) env[EVAL_API_KEY_ENV] = endpointKey; // likewise for the deployment endpoint's key
    const child = fork(this.workerPath, [], { env, execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    this.stderrTail = [];
    this.stopping = false;
    const lines = (data: Buffer) => {
      for (const line of data.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        this.log.worker(line);
        this.stderrTail.push(this.log.redact(line));
        if (this.stderrTail.length > 40) this.stderrTail.shift();
      }
    };
    child.stderr?.on('data', lines);
    child.stdout?.on('data', lines);
    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    onNotification(conn, RunEventNotification, (p) => this.events.fire(p));
    conn.onError(([err]) => this.log.warn(`worker connection: ${err.message}`));
    const level = traceLevel();
    if (level !== 'off') {
      void conn.trace(level === 'verbose' ? Trace.Verbose : Trace.Messages, { log: (m: string, d?: string) => this.log.trace(d ? `${m}\n${d}` : m) });
    }
    conn.listen();
    child.on('exit', (code, signal) => this.onChildExit(child, code, signal));
    child.on('error', (e) => this.log.error(`worker process: ${e.message}`));
    this.conn = conn;
    this.setState(WorkerState.Running);
    this.log.info(`worker started (pid ${child.pid})`);
    return conn;
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const expected = this.stopping;
    this.conn?.dispose();
    this.conn = undefined;
    this.child = undefined;
    if (!expected) this.crashes.push(Date.now());
    this.log[expected ? 'info' : 'error'](`worker exited (${signal ? `signal ${signal}` : `code ${code}`})${expected ? '' : ' unexpectedly'}`);
    this.setState(expected ? WorkerState.Stopped : WorkerState.Crashed);
    this.exits.fire({ code, signal, expected, stderrTail: [...this.stderrTail] });
  }

  /** Idempotent: closes IPC (the worker exits with its channel), then SIGKILL after the deadline. */
  async stop(deadlineMs = 3000): Promise<void> {
    const child = this.child;
    if (!child || this.stopping) return this.waitExit(child, deadlineMs);
    this.stopping = true;
    this.setState(WorkerState.Stopping);
    this.conn?.dispose();
    try {
      child.disconnect();
    } catch {
      // channel already closed
    }
    await this.waitExit(child, deadlineMs);
  }

  /** Immediate SIGKILL (hard cancel): the run's last checkpoint remains, so it can be resumed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    this.setState(WorkerState.Stopping);
    child.kill('SIGKILL');
    await this.waitExit(child, 5000);
  }

  private waitExit(child: ChildProcess | undefined, ms: number): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, ms);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  dispose(): void {
    void this.stop(1000);
    this.events.dispose();
    this.exits.dispose();
    this.states.dispose();
  }
}

/**
 * The worker names the RPC method at the start of each error ("run/start: …", for its log and the CLI); users
 * read the reason only. The error keeps its code.
 */
export function withoutMethod(method: string, e: unknown): unknown {
  if (e instanceof Error && e.message.startsWith(`${method}: `)) e.message = e.message.slice(method.length + 2);
  return e;
}
