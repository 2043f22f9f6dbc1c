// The worker's RPC layer with both ends in one process over in-memory streams (the lsp connection tests'
// pattern), plus the real forked worker over IPC. The optimizer side is a small scripted OptimizerService
// that follows the service contract, so these tests pin down the worker's own behaviour: validation, the
// error-code table, one run at a time, event forwarding, cancellation and the workspace lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { UserError } from '../src/engine';
import {
  ACTIVE_LOCK_FILE, DatasetPreview, RpcErrorCodes, RunCancel, RunEventNotification, RunResume, RunStart, RunStatus,
  WorkerInfo, type DatasetPreviewResult, type RunEvent, type RunEventParams, type RunStartParams,
} from '../src/worker/protocol';
import { onNotification, sendRequest } from '../src/worker/protocol/rpc';
import { WorkerServer } from '../src/worker/server';
import type { OptimizerService, RunCancellation } from '../src/worker/service';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'greater-worker-'));
}

function startParams(runsDir: string, over: Partial<RunStartParams> = {}): RunStartParams {
  return {
    model: 'demo', device: 'cpu', dataset: { builtin: 'demo' }, extractor: { preset: 'numeric' }, seed: 1,
    initialPrompt: 'Answer.', steps: 3, topK: 4, topQ: 2, trainSize: 5, runsDir, ...over,
  };
}

/** Scripted optimizer: `steps` steps, each awaiting `gate()` so a test decides when a step may finish. */
class ScriptedOptimizer implements OptimizerService {
  gate: () => Promise<void> = () => new Promise((r) => setImmediate(r));
  failAtStep: number | undefined;
  failBeforeStart: Error | undefined;

  async *startRun(p: RunStartParams, cancel: RunCancellation): AsyncIterable<RunEvent> {
    if (this.failBeforeStart) throw this.failBeforeStart;
    const runDir = path.join(p.runsDir, 'run-1');
    fs.mkdirSync(runDir, { recursive: true });
    yield* this.run('run-1', runDir, p.steps, 1, cancel);
  }

  async *resumeRun(runDir: string, cancel: RunCancellation): AsyncIterable<RunEvent> {
    yield* this.run(path.basename(runDir), runDir, 3, 3, cancel);
  }

  private async *run(runId: string, runDir: string, total: number, from: number, cancel: RunCancellation): AsyncIterable<RunEvent> {
    yield { kind: 'run-started', runId, runDir, totalSteps: total, initialPrompt: 'Answer.', model: 'demo', task: 'demo' };
    let best = 'Answer.';
    for (let step = from; step <= total; step++) {
      if (cancel.soft.aborted) {
        yield { kind: 'done', reason: 'cancelled', bestPrompt: best };
        return;
      }
      yield { kind: 'phase', step, phase: 'reasoning' };
      await this.gate();
      if (cancel.hard.aborted) return; // a hard stop ends mid-step, without a final event
      if (this.failAtStep === step) throw new Error(`boom at step ${step}`);
      best = `Answer step ${step}.`;
      yield {
        kind: 'step', step, totalSteps: total, position: 1, prompt: best, promptTokens: ['Answer', ' step'], score: step,
        accuracy: 0.5, bestScore: step, bestPrompt: best, etaSeconds: total - step,
        counts: { forwardPasses: 1, backwardPasses: 1, generatedTokens: 1 },
      };
    }
    yield { kind: 'done', reason: 'completed', bestPrompt: best };
  }

  async evaluatePrompt() { return { correct: 1, total: 2, accuracy: 0.5 }; }
  async checkExtractor() { return { samples: [] }; }
  async estimateRun(): Promise<never> { throw new UserError('this scripted optimizer measures nothing'); }
  async checkEngine(): Promise<never> { throw new UserError('this scripted optimizer checks nothing'); }
  async previewDataset(): Promise<DatasetPreviewResult> {
    throw new UserError("data.csv: column 'answer' not found; columns are question, target");
  }
}

interface Pair { client: MessageConnection; server: WorkerServer; events: RunEventParams[]; close(): void }

function connect(service: OptimizerService | undefined): Pair {
  const up = new PassThrough(), down = new PassThrough();
  const serverConn = createMessageConnection(up, down);
  const client = createMessageConnection(down, up);
  const server = new WorkerServer(serverConn, { loadService: service ? async () => service : undefined });
  const events: RunEventParams[] = [];
  onNotification(client, RunEventNotification, (p) => events.push(p));
  serverConn.listen();
  client.listen();
  return { client, server, events, close: () => { client.dispose(); serverConn.dispose(); } };
}

async function rpcError(p: Promise<unknown>): Promise<ResponseError<unknown>> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the request to fail');
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('without the optimizer, info says why and optimizer methods fail with OptimizerUnavailable', async () => {
  const w = connect(undefined);
  try {
    const info = await sendRequest(w.client, WorkerInfo, {});
    assert.equal(info.optimizerAvailable, false);
    assert.match(info.unavailableReason ?? '', /optimizer not available/);
    const err = await rpcError(sendRequest(w.client, RunStart, startParams(tmpDir())));
    assert.equal(err.code, RpcErrorCodes.OptimizerUnavailable);
    assert.match(err.message, /^run\/start: optimizer not available/);
    assert.deepEqual(await sendRequest(w.client, RunStatus, {}), { state: 'idle' });
  } finally {
    w.close();
  }
});

test('bad params are InvalidParams naming method, field, expectation and value', async () => {
  const w = connect(new ScriptedOptimizer());
  try {
    const bad = { ...startParams(tmpDir()), steps: 0 };
    const err = await rpcError(sendRequest(w.client, RunStart, bad));
    assert.equal(err.code, RpcErrorCodes.InvalidParams);
    assert.equal(err.message, "run/start: 'steps' must be an integer in [1, 100000], got number 0");
    const err2 = await rpcError(sendRequest(w.client, RunStart, { ...startParams(tmpDir()), device: 'tpu' as never }));
    assert.equal(err2.message, 'run/start: \'device\' must be one of auto, cpu, cuda, webgpu, got "tpu"');
    const err4 = await rpcError(sendRequest(w.client, RunStart, { ...startParams(tmpDir()), quantize: 'int3' as never }));
    assert.equal(err4.message, 'run/start: \'quantize\' must be one of none, int8, int4, auto, got "int3"');
    const err5 = await rpcError(sendRequest(w.client, RunStart, { ...startParams(tmpDir()), budget: 'huge' as never }));
    assert.equal(err5.message, 'run/start: \'budget\' must be one of quick, standard, paper, got "huge"');
    const err3 = await rpcError(sendRequest(w.client, RunCancel, { runId: 'x', mode: 'later' as never }));
    assert.equal(err3.code, RpcErrorCodes.InvalidParams);
  } finally {
    w.close();
  }
});

test('a run streams its events in order, answers with the ids of run-started, and frees the worker', async () => {
  const runsDir = tmpDir();
  const opt = new ScriptedOptimizer();
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  opt.gate = () => opened;
  const w = connect(opt);
  try {
    const res = await sendRequest(w.client, RunStart, startParams(runsDir));
    assert.deepEqual(res, { runId: 'run-1', runDir: path.join(runsDir, 'run-1') });
    const lock = JSON.parse(fs.readFileSync(path.join(runsDir, ACTIVE_LOCK_FILE), 'utf8'));
    assert.deepEqual(lock, { pid: process.pid, parentPid: process.ppid, runId: 'run-1', runDir: res.runDir });
    open();
    await w.server.activeRun;
    await until(() => w.events.at(-1)?.event.kind === 'done', 'done');
    const kinds = w.events.map((e) => e.event.kind);
    assert.deepEqual(kinds, ['run-started', 'phase', 'step', 'phase', 'step', 'phase', 'step', 'done']);
    assert.ok(w.events.every((e) => e.runId === 'run-1'));
    assert.deepEqual(await sendRequest(w.client, RunStatus, {}), { state: 'idle' });
    assert.equal(fs.existsSync(path.join(runsDir, ACTIVE_LOCK_FILE)), false, 'lock released');
  } finally {
    w.close();
  }
});

test('one run at a time: a second start is RunActive; soft cancel ends with done/cancelled and the best so far', async () => {
  const runsDir = tmpDir();
  const opt = new ScriptedOptimizer();
  let release!: () => void;
  opt.gate = () => new Promise((r) => (release = r));
  const w = connect(opt);
  try {
    const { runId } = await sendRequest(w.client, RunStart, startParams(runsDir, { steps: 5 }));
    await until(() => w.events.some((e) => e.event.kind === 'phase'), 'first phase');
    const err = await rpcError(sendRequest(w.client, RunStart, startParams(runsDir)));
    assert.equal(err.code, RpcErrorCodes.RunActive);
    assert.equal((await sendRequest(w.client, RunCancel, { runId: 'other', mode: 'soft' })).accepted, false);
    assert.equal((await sendRequest(w.client, RunCancel, { runId, mode: 'soft' })).accepted, true);
    const st = await sendRequest(w.client, RunStatus, {});
    assert.equal(st.state, 'cancelling');
    release(); // step 1 finishes, the loop sees the cancel at the step boundary
    await w.server.activeRun;
    await until(() => w.events.at(-1)?.event.kind === 'done', 'done');
    const done = w.events.at(-1)!.event;
    assert.deepEqual(done, { kind: 'done', reason: 'cancelled', bestPrompt: 'Answer step 1.' });
    assert.equal(w.events.filter((e) => e.event.kind === 'step').length, 1);
  } finally {
    w.close();
  }
});

test('a hard cancel or a throw mid-run becomes a resumable error event; resume runs again', async () => {
  const runsDir = tmpDir();
  const opt = new ScriptedOptimizer();
  opt.failAtStep = 2;
  const w = connect(opt);
  try {
    await sendRequest(w.client, RunStart, startParams(runsDir));
    await w.server.activeRun;
    await until(() => w.events.at(-1)?.event.kind === 'error', 'error');
    assert.deepEqual(w.events.at(-1)!.event, { kind: 'error', message: 'boom at step 2', resumable: true });

    let release!: () => void;
    opt.failAtStep = undefined;
    opt.gate = () => new Promise((r) => (release = r));
    w.events.length = 0;
    const res = await sendRequest(w.client, RunResume, { runDir: path.join(runsDir, 'run-1') });
    assert.equal(res.runId, 'run-1');
    await until(() => w.events.some((e) => e.event.kind === 'phase'), 'phase after resume');
    assert.equal((await sendRequest(w.client, RunCancel, { runId: 'run-1', mode: 'hard' })).accepted, true);
    release();
    await w.server.activeRun;
    await until(() => w.events.at(-1)?.event.kind === 'error', 'error after hard stop');
    assert.equal(w.events.at(-1)!.event.kind, 'error');
    assert.equal((w.events.at(-1)!.event as { resumable: boolean }).resumable, true);
  } finally {
    w.close();
  }
});

test('input errors from the optimizer are UserInput, before a run exists too', async () => {
  const opt = new ScriptedOptimizer();
  opt.failBeforeStart = new UserError('tasks/x.jsonl line 3: expected a JSON object, got "oops"');
  const w = connect(opt);
  try {
    const err = await rpcError(sendRequest(w.client, RunStart, startParams(tmpDir())));
    assert.equal(err.code, RpcErrorCodes.UserInput);
    assert.equal(err.message, 'run/start: tasks/x.jsonl line 3: expected a JSON object, got "oops"');
    assert.deepEqual(await sendRequest(w.client, RunStatus, {}), { state: 'idle' }, 'a failed start leaves no active run');
    const err2 = await rpcError(sendRequest(w.client, DatasetPreview, { dataset: { path: path.join(os.tmpdir(), 'data.csv') }, rows: 5 }));
    assert.equal(err2.code, RpcErrorCodes.UserInput);
    assert.match(err2.message, /^dataset\/preview: data\.csv: column 'answer' not found/);
    // Paths are never resolved against the worker's cwd, nor climb out with "..".
    for (const bad of ['data.csv', '../../../etc/passwd', `${os.tmpdir()}/a/../../etc/passwd`]) {
      const e = await rpcError(sendRequest(w.client, DatasetPreview, { dataset: { path: bad }, rows: 5 }));
      assert.equal(e.code, -32602, bad);
      assert.match(e.message, /dataset\/preview: 'path' must be an absolute, normalised path/);
    }
    const e3 = await rpcError(sendRequest(w.client, RunResume, { runDir: 'runs/x' }));
    assert.match(e3.message, /'runDir' must be an absolute, normalised path, got "runs\/x"/);
  } finally {
    w.close();
  }
});

test('the workspace lock refuses a run while another live process holds it, and ignores a stale one', async () => {
  const runsDir = tmpDir();
  const w = connect(new ScriptedOptimizer());
  try {
    // the test runner's parent is alive and is not us
    fs.writeFileSync(path.join(runsDir, ACTIVE_LOCK_FILE), JSON.stringify({ pid: process.ppid, runId: 'other-run' }));
    const err = await rpcError(sendRequest(w.client, RunStart, startParams(runsDir)));
    assert.equal(err.code, RpcErrorCodes.RunActive);
    assert.match(err.message, /other-run is active in another window/);
    // a dead pid: the lock is stale and taken over
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    fs.writeFileSync(path.join(runsDir, ACTIVE_LOCK_FILE), JSON.stringify({ pid: dead.pid, runId: 'old' }));
    const res = await sendRequest(w.client, RunStart, startParams(runsDir));
    assert.equal(res.runId, 'run-1');
    await w.server.activeRun;
  } finally {
    w.close();
  }
});

test('the forked worker answers over IPC and exits when its parent disconnects', async () => {
  const main = path.resolve(__dirname, '../src/worker/main.js');
  const child = fork(main, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  conn.listen();
  try {
    const info = await sendRequest(conn, WorkerInfo, {});
    assert.equal(info.pid, child.pid);
    // whether the optimizer is linked depends on src/worker/optimizer.ts; either way the answer is coherent
    if (!info.optimizerAvailable) assert.match(info.unavailableReason ?? '', /optimizer not available/);
    else assert.equal(info.unavailableReason, undefined);
  } finally {
    conn.dispose();
    child.disconnect();
  }
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
  assert.equal(code, 0, `worker did not exit after disconnect; stderr: ${stderr}`);
  assert.match(stderr, /exiting: IPC channel closed|ready/);
});
