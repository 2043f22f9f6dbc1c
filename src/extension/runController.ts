// The workspace's one active run: starts / resumes it through the worker, forwards its events, cancels it
// (soft: the optimizer drops the step in flight and evaluates the best prompt so far; the worker is killed only
// if the stopping run goes silent for the timeout, best so far kept either way), turns
// a worker crash into a clear, resumable failure, and raises the only notifications: end of run and errors.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ensureRunsGitignore } from './core/runs';
import { isRunFolder } from './core/trust';
import { RunCancel, RunResume, RunStart, type RunEvent, type RunEventOf, type RunStartResult } from '../worker/protocol';
import { cancelTimeoutMs, runsDir } from './config';
import { COMMANDS, CONTEXT_KEYS } from './core/ids';
import { budgetAndFormats, type PromptSource, type StartRequest } from '../shared/panelMessages';
import type { Log } from './log';
import type { WorkerClient, WorkerExit } from './workerClient';

export interface ActiveRun {
  runId: string;
  runDir: string;
  lastStep?: RunEventOf<'step'>;
  lastPhase?: RunEventOf<'phase'>;
  totalSteps?: number;
  cancelling: boolean;
}

export interface RunEnded {
  runId: string;
  runDir: string;
  outcome: 'completed' | 'cancelled' | 'failed' | 'crashed';
  message: string;
  bestPrompt?: string;
  resumable: boolean;
}

const SOURCES_KEY = 'greater.runSources';
/** The panel form each run was started with: a reopened panel shows it (never the defaults). */
const REQUESTS_KEY = 'greater.runRequests';

export class RunController implements vscode.Disposable {
  private active: ActiveRun | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly events = new vscode.EventEmitter<{ runId: string; event: RunEvent }>();
  private readonly ended = new vscode.EventEmitter<RunEnded>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly started = new vscode.EventEmitter<{ runId: string; runDir: string; source?: PromptSource }>();
  readonly onRunEvent = this.events.event;
  readonly onRunEnded = this.ended.event;
  readonly onDidChange = this.changed.event;
  /** a new run (not a resume) was accepted by the worker, with the prompt literal it came from */
  readonly onStarted = this.started.event;

  constructor(private readonly worker: WorkerClient, private readonly state: vscode.Memento, private readonly log: Log) {
    this.disposables.push(
      this.events, this.ended, this.changed, this.started,
      worker.onRunEvent(({ runId, event }) => this.onEvent(runId, event)),
      worker.onExit((e) => this.onWorkerExit(e)),
    );
  }

  get current(): ActiveRun | undefined {
    return this.active;
  }

  sourceFor(runId: string): PromptSource | undefined {
    return this.state.get<Record<string, PromptSource>>(SOURCES_KEY, {})[runId];
  }

  requestFor(runId: string): StartRequest | undefined {
    return this.state.get<Record<string, StartRequest>>(REQUESTS_KEY, {})[runId];
  }

  private async remember<T>(key: string, runId: string, value: T): Promise<void> {
    const all = { ...this.state.get<Record<string, T>>(key, {}), [runId]: value };
    // keep the newest 50: entries are small but the memento is not a database
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - 50))) delete all[k];
    await this.state.update(key, all);
  }

  private requireIdle(): string {
    if (!vscode.workspace.isTrusted) throw new Error('GReaTer runs models only in trusted workspaces. Trust this workspace first.');
    if (this.active) throw new Error(`run ${this.active.runId} is still active; stop it first (GReaTer: Cancel Run).`);
    const dir = runsDir((w) => this.log.warn(w));
    if (!dir) throw new Error('open a folder first: runs are saved in <folder>/.greater/runs');
    return dir;
  }

  async start(req: StartRequest, source: PromptSource | undefined): Promise<RunStartResult> {
    const dir = this.requireIdle();
    try {
      ensureRunsGitignore(dir);
    } catch (e) {
      this.log.warn(`could not write ${dir}/.gitignore: ${(e as Error).message}`);
    }
    const res = await this.worker.request(RunStart, {
      model: req.model, device: req.device, dataset: req.dataset, questionField: req.questionField,
      answerField: req.answerField, extractor: req.extractor, seed: req.seed, initialPrompt: req.initialPrompt,
      ...(source ? { context: source.context } : {}),
      steps: req.steps, topK: req.topK, topQ: req.topQ, trainSize: req.trainSize, runsDir: dir, ...budgetAndFormats(req),
      ...(req.transfer ? { transfer: req.transfer } : {}),
    });
    if (source) await this.remember(SOURCES_KEY, res.runId, source);
    await this.remember(REQUESTS_KEY, res.runId, req);
    this.started.fire({ ...res, source });
    this.begin(res);
    return res;
  }

  async resume(runDir: string): Promise<RunStartResult> {
    const root = this.requireIdle();
    if (!isRunFolder(root, runDir)) throw new Error(`${runDir} is not a run folder inside the runs folder ${root}; nothing resumed`);
    const res = await this.worker.request(RunResume, { runDir });
    this.begin(res);
    return res;
  }

  private begin(res: RunStartResult): void {
    // events may have arrived before the response: keep what onEvent already recorded
    if (!this.active || this.active.runId !== res.runId) this.active = { ...res, cancelling: false };
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.runActive, true);
    this.changed.fire();
  }

  /** Soft cancel now; if the run has not ended after the timeout, kill the worker (hard stop). */
  async cancel(): Promise<boolean> {
    const run = this.active;
    if (!run) return false;
    if (run.cancelling) {
      // a second request means "now"
      await this.hardStop(run);
      return true;
    }
    run.cancelling = true;
    this.changed.fire();
    try {
      await this.worker.request(RunCancel, { runId: run.runId, mode: 'soft' });
    } catch (e) {
      this.log.warn(`soft cancel failed: ${(e as Error).message}; stopping the worker`);
      await this.hardStop(run);
      return true;
    }
    this.armKillTimer(run);
    return true;
  }

  /**
   * While a run stops, each event it sends re-arms the deadline: a run that is still working (the held-out check
   * of the best prompt can take minutes on a large model) ends on its own, with its before/after; only a silent
   * one is killed.
   */
  private armKillTimer(run: ActiveRun): void {
    clearTimeout(this.killTimer);
    // the held-out check reports per prompt, not per batch: while it runs only "Stop now" (a second cancel) kills
    this.killTimer = setTimeout(() => (run.lastPhase?.phase === 'evaluation' ? this.armKillTimer(run) : void this.hardStop(run)), cancelTimeoutMs());
  }

  private async hardStop(run: ActiveRun): Promise<void> {
    if (this.active !== run) return;
    this.log.warn(`run ${run.runId} did not stop in time; killing the worker (the last checkpoint is kept)`);
    run.cancelling = true;
    await this.worker.kill();
    // onWorkerExit reports it as a cancelled run
  }

  private onEvent(runId: string, event: RunEvent): void {
    if (event.kind === 'run-started' && !this.active) this.active = { runId, runDir: event.runDir, cancelling: false };
    const run = this.active?.runId === runId ? this.active : undefined;
    if (run?.cancelling && this.killTimer) this.armKillTimer(run);
    if (run && event.kind === 'run-started') run.totalSteps = event.totalSteps;
    if (run && event.kind === 'step') run.lastStep = event;
    if (run && event.kind === 'phase') run.lastPhase = event;
    this.events.fire({ runId, event });
    if (run && (event.kind === 'step' || event.kind === 'phase' || event.kind === 'run-started')) this.changed.fire();
    if (run && event.kind === 'done') {
      const msg = event.reason === 'cancelled' ? `stopped; best prompt so far kept` : event.reason === 'early-stop' ? 'stopped early' : 'finished';
      const acc = event.initialAccuracy !== undefined && event.bestAccuracy !== undefined
        ? ` Held-out accuracy ${(event.initialAccuracy * 100).toFixed(1)}% → ${(event.bestAccuracy * 100).toFixed(1)}%.` : '';
      this.finish(run, { outcome: event.reason === 'cancelled' ? 'cancelled' : 'completed', message: `Run ${run.runId} ${msg}.${acc}`, bestPrompt: event.bestPrompt, resumable: event.reason === 'cancelled' });
    } else if (run && event.kind === 'error') {
      this.finish(run, { outcome: 'failed', message: `Run ${run.runId} failed: ${event.message}`, bestPrompt: run.lastStep?.bestPrompt, resumable: event.resumable });
    }
  }

  private onWorkerExit(e: WorkerExit): void {
    const run = this.active;
    if (!run) return;
    if (run.cancelling) {
      this.finish(run, { outcome: 'cancelled', message: `Run ${run.runId} stopped (worker killed after the timeout); best prompt so far kept, resumable from its last step.`, bestPrompt: run.lastStep?.bestPrompt, resumable: true });
      return;
    }
    const how = e.signal ? `was killed (${e.signal})` : `exited with code ${e.code}`;
    const last = e.stderrTail.filter((l) => l.trim()).slice(-1)[0];
    this.finish(run, {
      outcome: 'crashed',
      message: `The GReaTer worker ${how} during run ${run.runId}${last ? `: ${last}` : ''}. The run is saved up to its last step and can be resumed.`,
      bestPrompt: run.lastStep?.bestPrompt, resumable: true,
    });
  }

  private finish(run: ActiveRun, r: Omit<RunEnded, 'runId' | 'runDir'>): void {
    if (this.active !== run) return;
    clearTimeout(this.killTimer);
    this.active = undefined;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.runActive, false);
    const ended: RunEnded = { runId: run.runId, runDir: run.runDir, ...r };
    this.ended.fire(ended);
    this.changed.fire();
    this.log[r.outcome === 'completed' || r.outcome === 'cancelled' ? 'info' : 'error'](ended.message);
    void this.notify(ended);
  }

  private async notify(e: RunEnded): Promise<void> {
    const ok = e.outcome === 'completed' || e.outcome === 'cancelled';
    const actions = ok ? ['Show Result'] : e.resumable ? ['Resume', 'Show Log'] : ['Show Log'];
    const pick = await (ok ? vscode.window.showInformationMessage(e.message, ...actions) : vscode.window.showErrorMessage(e.message, ...actions));
    if (pick === 'Show Result') void vscode.commands.executeCommand(COMMANDS.openRun, e.runDir);
    if (pick === 'Resume') void vscode.commands.executeCommand(COMMANDS.resumeRun, e.runDir);
    if (pick === 'Show Log') void vscode.commands.executeCommand(COMMANDS.showLog);
  }

  runIdOf(runDir: string): string {
    return path.basename(runDir);
  }

  dispose(): void {
    clearTimeout(this.killTimer);
    for (const d of this.disposables) d.dispose();
  }
}
