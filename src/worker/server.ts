// The worker's RPC handlers: validates params, owns the single active run (start / resume / cancel /
// status), pumps the optimizer's event stream out as `run/event`, and maps failures to the error-code table.
// Transport-agnostic (any MessageConnection), so tests drive it over in-memory streams.
import * as path from 'node:path';
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc';
import { isUserError } from '../engine';
import {
  DatasetPreview, EngineCheck, EvalPrompt, ExtractorCheck, RpcErrorCodes, RunCancel, RunEstimate, RunEventNotification, RunResume, RunStart,
  RunStatus, WorkerInfo, type RunEvent, type RunProgress, emptyRunProgress, foldRunEvents, type RunStartResult, type RunStatusResult,
} from './protocol';
import { onRequest, sendNotification } from './protocol/rpc';
import { RunLock } from './runLock';
import type { OptimizerService, RunCancellation, ServiceLoader } from './service';
import * as validate from './validate';

interface ActiveRun {
  runId: string;
  runDir: string;
  soft: AbortController;
  hard: AbortController;
  /** the run's events so far, folded (run/status answers from it) */
  progress: RunProgress;
  /** settles when the event pump has finished (done / error sent, lock released) */
  finished: Promise<void>;
}

export interface WorkerServerOptions {
  /** undefined = this worker was built without the optimizer */
  loadService: ServiceLoader | undefined;
  log?: (line: string) => void;
}

export class WorkerServer {
  private active: ActiveRun | undefined;
  private starting = false;
  private service: Promise<OptimizerService> | undefined;

  constructor(private readonly conn: MessageConnection, private readonly opts: WorkerServerOptions) {
    const wrap = <T>(method: string, fn: (params: unknown, token: CancellationToken) => Promise<T>) =>
      async (params: unknown, token: CancellationToken): Promise<T> => {
        try {
          return await fn(params, token);
        } catch (e) {
          throw toResponseError(method, e, token);
        }
      };
    onRequest(conn, WorkerInfo, wrap(WorkerInfo.method, () => this.info()));
    onRequest(conn, RunStatus, wrap(RunStatus.method, async () => this.status()));
    onRequest(conn, RunStart, wrap(RunStart.method, async (p) => {
      const params = validate.runStartParams(p);
      return this.launch(RunStart.method, params.runsDir, (svc, c) => svc.startRun(params, c));
    }));
    onRequest(conn, RunResume, wrap(RunResume.method, async (p) => {
      const { runDir } = validate.runResumeParams(p);
      return this.launch(RunResume.method, path.dirname(path.resolve(runDir)), (svc, c) => svc.resumeRun(runDir, c));
    }));
    onRequest(conn, RunCancel, wrap(RunCancel.method, async (p) => {
      const { runId, mode } = validate.runCancelParams(p);
      const run = this.active;
      if (!run || run.runId !== runId) return { accepted: false };
      run.soft.abort(mode);
      if (mode === 'hard') run.hard.abort(mode);
      return { accepted: true };
    }));
    onRequest(conn, EvalPrompt, wrap(EvalPrompt.method, async (p, token) => {
      const params = validate.evalPromptParams(p);
      return (await this.requireService(EvalPrompt.method)).evaluatePrompt(params, toSignal(token));
    }));
    onRequest(conn, ExtractorCheck, wrap(ExtractorCheck.method, async (p, token) => {
      const params = validate.extractorCheckParams(p);
      return (await this.requireService(ExtractorCheck.method)).checkExtractor(params, toSignal(token));
    }));
    onRequest(conn, RunEstimate, wrap(RunEstimate.method, async (p, token) => {
      const params = validate.runEstimateParams(p);
      return (await this.requireService(RunEstimate.method)).estimateRun(params, toSignal(token));
    }));
    onRequest(conn, EngineCheck, wrap(EngineCheck.method, async (p) => {
      const params = validate.engineCheckParams(p);
      return (await this.requireService(EngineCheck.method)).checkEngine(params);
    }));
    onRequest(conn, DatasetPreview, wrap(DatasetPreview.method, async (p) => {
      const params = validate.datasetPreviewParams(p);
      return (await this.requireService(DatasetPreview.method)).previewDataset(params);
    }));
  }

  /** The active run's end, for orderly shutdown and tests. */
  get activeRun(): Promise<void> | undefined {
    return this.active?.finished;
  }

  private async info() {
    let unavailableReason: string | undefined;
    try {
      await this.requireService(WorkerInfo.method);
    } catch (e) {
      unavailableReason = (e as Error).message;
    }
    return {
      pid: process.pid, node: process.version, optimizerAvailable: !unavailableReason,
      ...(unavailableReason ? { unavailableReason } : {}),
      ...(this.active ? { activeRunId: this.active.runId } : {}),
    };
  }

  private status(): RunStatusResult {
    const run = this.active;
    if (!run) return { state: 'idle' };
    return {
      state: run.soft.signal.aborted ? 'cancelling' : 'running', runId: run.runId, runDir: run.runDir,
      ...(run.progress.last ? { lastStep: run.progress.last } : {}),
    };
  }

  private requireService(method: string): Promise<OptimizerService> {
    if (!this.opts.loadService) {
      return Promise.reject(new ResponseError(RpcErrorCodes.OptimizerUnavailable,
        `${method}: optimizer not available: this worker was built without src/greater (see src/worker/optimizer.ts)`));
    }
    this.service ??= this.opts.loadService().catch((e: unknown) => {
      this.service = undefined; // allow a later retry, e.g. after a rebuild
      throw new ResponseError(RpcErrorCodes.OptimizerUnavailable, `${method}: optimizer not available: ${(e as Error).message}`);
    });
    return this.service;
  }

  /**
   * Starts the optimizer's event stream, answers with the ids from its first event (`run-started`) and
   * pumps the rest in the background. One run per worker; the lock file extends that to the workspace.
   */
  private async launch(
    method: string, runsDir: string, open: (svc: OptimizerService, c: RunCancellation) => AsyncIterable<RunEvent>,
  ): Promise<RunStartResult> {
    if (this.active || this.starting) {
      throw new ResponseError(RpcErrorCodes.RunActive,
        `${method}: run ${this.active?.runId ?? '(starting)'} is still active in this worker; cancel it first`);
    }
    this.starting = true;
    let lock: RunLock | undefined;
    try {
      const svc = await this.requireService(method);
      const got = RunLock.acquire(runsDir);
      if (!(got instanceof RunLock)) {
        throw new ResponseError(RpcErrorCodes.RunActive,
          `${method}: run ${got.heldBy.runId ?? '(starting)'} is active in another window (pid ${got.heldBy.pid}); one run at a time per workspace`);
      }
      lock = got;
      const soft = new AbortController(), hard = new AbortController();
      const it = open(svc, { soft: soft.signal, hard: hard.signal })[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done || first.value.kind !== 'run-started') {
        throw new Error(`the optimizer's first event was ${first.done ? 'the end of the stream' : `'${first.value.kind}'`}, expected 'run-started'`);
      }
      const { runId, runDir } = first.value;
      lock.update({ runId, runDir });
      const run: ActiveRun = { runId, runDir, soft, hard, progress: emptyRunProgress(), finished: Promise.resolve() };
      this.active = run;
      this.emit(runId, first.value);
      const heldLock = lock;
      lock = undefined; // now owned by the pump
      run.finished = this.pump(run, it).finally(() => {
        heldLock.release();
        if (this.active === run) this.active = undefined;
      });
      return { runId, runDir };
    } finally {
      lock?.release();
      this.starting = false;
    }
  }

  private async pump(run: ActiveRun, it: AsyncIterator<RunEvent>): Promise<void> {
    let ended = false;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const ev = r.value;
        run.progress = foldRunEvents(run.progress, ev);
        ended = !!(run.progress.done ?? run.progress.error);
        this.emit(run.runId, ev);
      }
      if (!ended) {
        this.emit(run.runId, { kind: 'error', message: 'the optimizer stopped without a final event', resumable: true });
      }
    } catch (e) {
      this.opts.log?.(`run ${run.runId} failed: ${(e as Error)?.stack ?? String(e)}`);
      if (!ended) this.emit(run.runId, { kind: 'error', message: errorMessage(e), resumable: true });
    }
  }

  private emit(runId: string, event: RunEvent): void {
    sendNotification(this.conn, RunEventNotification, { runId, event }).catch((e: unknown) => {
      this.opts.log?.(`could not send run/event: ${(e as Error).message}`);
    });
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toSignal(token: CancellationToken): AbortSignal {
  const c = new AbortController();
  if (token.isCancellationRequested) c.abort('cancelled');
  else token.onCancellationRequested(() => c.abort('cancelled'));
  return c.signal;
}

/** Maps a handler failure onto the error-code table; the message always starts with the method. */
export function toResponseError(method: string, e: unknown, token?: CancellationToken): ResponseError<void> {
  if (e instanceof ResponseError) return e;
  if (e instanceof validate.ParamError) return new ResponseError(RpcErrorCodes.InvalidParams, e.message);
  if (token?.isCancellationRequested) return new ResponseError(RpcErrorCodes.RequestCancelled, `${method}: cancelled`);
  if (isUserError(e)) return new ResponseError(RpcErrorCodes.UserInput, `${method}: ${e.message}`);
  return new ResponseError(RpcErrorCodes.InternalError, `${method}: internal error: ${errorMessage(e)}`);
}
