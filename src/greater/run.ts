// A whole optimisation run as one stream of typed events: prepare (task, model, layout) → run directory →
// steps (checkpoint every step) → held-out evaluation of the initial and best prompts (and on a second
// model for transfer) → report. `resumeRun` rebuilds everything from run.json + checkpoint.json; what
// defines the run comes from the folder, not from the caller.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, type PrecisionChoice, type QuantizeChoice } from '../engine';
import type { RunEvent } from './events';
import { streamFrom } from './channel';
import type { GreaterConfig } from './config';
import { acquireLockFile, releaseLockFile } from './lock';
import { BUDGET_HINT_SECONDS, describeBudgets } from './budgets';
import { SCRATCH_STEP_BELOW_SECONDS, describeEstimate, extrapolate, measureCosts, withMeasuredSteps, type RunEstimate } from './estimate';
import { compareEvaluations, evaluatePrompt, type Comparison, type PromptEvaluation } from './evaluation';
import { generationBudget, type PromptLayout } from './layout';
import type { ModelPort } from './model';
import { CancelledError, initialState, runSteps, type OptimizerContext } from './optimizer';
import {
  appendEvent, createRunDir, repairRunDir, newRunId, readJson, readRunMeta, RUN_FILES, RUN_SCHEMA_VERSION, writeJsonAtomic, writeTextAtomic, type RunMeta,
} from './rundir';
import {
  examplesByIndex, loadModel, prepareLayout, prepareTask, prepareVocabulary, type LoadedModel, type TaskOptions,
} from './setup';
import { checkState, ctrlKey, type RunState, type TopEntry } from './state';
import type { Task, TaskExample } from './tasks';
import { promptPerplexity } from './readability';
import { renderReportMarkdown, type EvaluationReport, type RunReport } from './report';
import { checkBaseUrl, type EndpointTarget } from './endpoint';
import { evaluateOnEndpoint } from './endpointEvaluation';

export type { EvaluationReport, RunReport };

export interface StartOptions {
  model: string;
  device?: string;
  quantize?: QuantizeChoice;
  precision?: PrecisionChoice;
  task: TaskOptions;
  config: GreaterConfig;
  /** Run folder; default <runsDir>/<runId>. */
  out?: string;
  runsDir?: string;
  evalModel?: string;
  /** transfer to an OpenAI-compatible endpoint; its apiKey stays in memory (run.json records baseUrl and model) */
  evalEndpoint?: EndpointTarget;
  skipMemoryCheck?: boolean;
}

/**
 * Cancellation of one run. `soft` aborts first: drop the step in flight at its next sub-step boundary (the last
 * step's checkpoint stays), evaluate the initial and the best prompt so far on the held-out set, emit `done` with
 * reason 'cancelled'. `hard` aborts too when the caller cannot wait even for that: stop at the next await, no
 * evaluation (the last checkpoint stays valid, so the run is resumable either way).
 * Both signals' `reason` is the CancelMode string.
 */
export interface RunCancellation {
  readonly soft: AbortSignal;
  readonly hard: AbortSignal;
}

interface Live {
  dir: string;
  meta: RunMeta;
  task: Task;
  loaded: LoadedModel;
  layout: PromptLayout;
  state: RunState;
  /** the endpoint's API key for this process only (env or SecretStorage), never persisted */
  evalApiKey?: string;
}

export function startRun(opts: StartOptions, cancel: RunCancellation): AsyncIterable<RunEvent> {
  return streamFrom(async (emit) => {
    const cfg = opts.config;
    if (opts.evalModel && opts.evalEndpoint) throw new UserError('choose one transfer target: --eval-model or --eval-endpoint, not both');
    const { task, train, heldOut } = prepareTask(opts.task, cfg);
    const loaded = await loadModel({ model: opts.model, device: opts.device, quantize: opts.quantize, precision: opts.precision, skipMemoryCheck: opts.skipMemoryCheck, gradients: true });
    const layout = prepareLayout(loaded.model, task, train, cfg);
    const runId = opts.out ? path.basename(path.resolve(opts.out)) : newRunId(task.name);
    const dir = path.resolve(opts.out ?? path.join(opts.runsDir ?? '.greater/runs', runId));
    const meta: RunMeta = {
      schemaVersion: RUN_SCHEMA_VERSION, runId, createdAt: new Date().toISOString(), config: cfg,
      model: { id: opts.model, dir: loaded.dir, ...(loaded.revision ? { revision: loaded.revision } : {}) },
      device: opts.device ?? 'cpu', ...(opts.quantize && opts.quantize !== 'none' ? { quantize: opts.quantize } : {}),
      ...(opts.precision && opts.precision !== 'fp32' ? { precision: opts.precision } : {}), ...(opts.evalModel ? { evalModel: opts.evalModel } : {}),
      ...(opts.evalEndpoint ? { evalEndpoint: { baseUrl: checkBaseUrl(opts.evalEndpoint.baseUrl), model: checkEndpointModel(opts.evalEndpoint.model) } } : {}),
      task: {
        file: path.resolve(task.file), sha256: task.sha256, questionField: opts.task.questionField, answerField: opts.task.answerField,
        extractor: opts.task.extractor ?? { preset: task.extractor.id }, extractorId: task.extractor.id, extractorText: task.extractor.text,
      },
      train: train.map((e) => e.index), heldOut: heldOut.map((e) => e.index),
    };
    createRunDir(dir, meta);
    const state = initialState({ layout, config: cfg });
    await withRunLock(dir, () => drive({ dir, meta, task, loaded, layout, state, evalApiKey: opts.evalEndpoint?.apiKey }, cancel, emit, opts.skipMemoryCheck));
  });
}

/** What may change on resume; the endpoint's key is never in the run folder, so it comes again from the caller. */
export interface ResumeOverrides {
  device?: string;
  quantize?: QuantizeChoice;
  precision?: PrecisionChoice;
  skipMemoryCheck?: boolean;
  evalApiKey?: string;
}

export function resumeRun(dirIn: string, cancel: RunCancellation, overrides: ResumeOverrides = {}): AsyncIterable<RunEvent> {
  return streamFrom(async (emit) => {
    const dir = path.resolve(dirIn);
    const meta = readRunMeta(dir);
    await withRunLock(dir, () => resumeLocked(dir, meta, cancel, emit, overrides));
  });
}

async function resumeLocked(dir: string, meta: RunMeta, cancel: RunCancellation, emit: (e: RunEvent) => void, overrides: ResumeOverrides): Promise<void> {
  repairRunDir(dir);
  const cfg = meta.config;
  const taskOpts: TaskOptions = { file: meta.task.file, questionField: meta.task.questionField, answerField: meta.task.answerField, extractor: meta.task.extractor };
  const { task } = prepareTask(taskOpts, { ...cfg, heldOutSize: 0, trainSize: 1 });
  if (task.sha256 !== meta.task.sha256) {
    throw new UserError(`${meta.task.file}: the dataset changed since the run started (sha256 ${task.sha256.slice(0, 12)}… vs ${meta.task.sha256.slice(0, 12)}… in ${RUN_FILES.run}); restore it or start a new run`);
  }
  const train = examplesByIndex(task, meta.train, 'training');
  const modelRef = fs.existsSync(meta.model.dir) ? meta.model.dir : meta.model.id;
  const loaded = await loadModel({ model: modelRef, device: overrides.device ?? meta.device, quantize: overrides.quantize ?? meta.quantize, precision: overrides.precision ?? meta.precision, skipMemoryCheck: overrides.skipMemoryCheck, gradients: true });
  const layout = prepareLayout(loaded.model, task, train, cfg);
  const ckFile = path.join(dir, RUN_FILES.checkpoint);
  const state = fs.existsSync(ckFile) ? checkState(readJson(ckFile, 'checkpoint'), ckFile, train.length) : initialState({ layout, config: cfg });
  await drive({ dir, meta, task, loaded, layout, state, evalApiKey: overrides.evalApiKey }, cancel, emit, overrides.skipMemoryCheck);
}

/** One driver per run folder: a second `--resume` of the same run (or the panel and the CLI at once) is refused. */
async function withRunLock(dir: string, fn: () => Promise<void>): Promise<void> {
  const file = path.join(dir, RUN_FILES.lock);
  const got = acquireLockFile(file);
  if (got !== true) {
    throw new UserError(`${dir}: the run is being driven by process ${got.pid} (greater optimize or VS Code); wait for it to end or stop it, then resume`);
  }
  try {
    await fn();
  } finally {
    releaseLockFile(file);
  }
}

async function drive(live: Live, cancel: RunCancellation, emitRaw: (e: RunEvent) => void, skipMemoryCheck?: boolean): Promise<void> {
  const { dir, meta, task, loaded, layout } = live;
  const cfg = meta.config;
  const emit = (e: RunEvent) => { appendEvent(dir, e); emitRaw(e); };
  emit({ kind: 'run-started', runId: meta.runId, runDir: dir, totalSteps: cfg.steps, initialPrompt: cfg.initialPrompt, model: meta.model.id, task: task.name });
  for (const w of task.warnings) emit({ kind: 'log', level: 'warn', message: w });
  const vocab = prepareVocabulary(loaded.model, cfg);
  const writeBest = (s: RunState) => writeJsonAtomic(path.join(dir, RUN_FILES.best), { runId: meta.runId, step: s.step, initial: s.initial, top: s.top }, dir);
  const ctx: OptimizerContext = {
    model: loaded.model, layout, vocab, config: cfg, file: task.file, soft: cancel.soft, hard: cancel.hard,
    persist: (s) => { writeJsonAtomic(path.join(dir, RUN_FILES.checkpoint), s, dir); writeBest(s); },
  };
  let state = live.state;
  // A kill between the checkpoint's and best.json's renames left best.json a step behind: the checkpoint decides.
  if (state.top.length) writeBest(state);
  // runSteps updates `state` in place only when a step finishes, so after a stop it holds the last finished step.
  // A soft stop ends the optimisation at the next sub-step boundary but still evaluates the best prompt so far on
  // the held-out set (the user stopped the search, not the result); a hard stop ends everything at once.
  let stopped = false;
  try {
    if (state.step === 0 && !state.initial && cfg.estimate) {
      const estimate = await measureRun(ctx, state, meta.heldOut.length);
      // the first step's ETA starts from the measured step time, not from nothing
      ctx.expectedStepSeconds = estimate.stepSeconds;
      const line = describeEstimate(estimate, cfg.steps);
      emit({ kind: 'log', level: 'info', message: line });
      if (estimate.totalSeconds > BUDGET_HINT_SECONDS) {
        emit({ kind: 'log', level: 'info', message: describeBudgets(estimate.costs, cfg, ctx.layout.samples.length + meta.heldOut.length) });
      }
      if (cfg.maxMinutes > 0 && estimate.totalSeconds > cfg.maxMinutes * 60) {
        throw new UserError(`${line.replace(/^estimate/, 'the estimate')}; that is over --max-minutes ${cfg.maxMinutes}: ` +
          'lower --steps, --train-size or --max-new-tokens, or raise the limit');
      }
    }
    state = await runSteps(ctx, state, emit);
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    if (state.top.length) writeBest(state);
    if (e.mode === 'hard' || !state.initial) {
      emit({ kind: 'done', reason: 'cancelled', bestPrompt: state.top[0]?.prompt ?? cfg.initialPrompt });
      return;
    }
    stopped = true;
  }
  const check = () => { if (cancel.hard.aborted) throw new CancelledError('hard'); };
  let heldOut: EvaluationReport | null = null;
  let transfer: EvaluationReport | null = null;
  let transferError: string | undefined;
  let readability: Readability | null = null;
  try {
    if (state.initial) readability = await readabilityOf(loaded.model, layout, state, check);
    if (meta.heldOut.length && state.initial) {
      const examples = examplesByIndex(task, meta.heldOut, 'held-out');
      heldOut = await evaluateSet(loaded.model, task, examples, cfg, state, { name: meta.model.id, transfer: false }, emit, check, readability);
      if (meta.evalModel || meta.evalEndpoint) {
        // the transfer check is extra: its failure is reported, the run's own result is kept
        try {
          transfer = meta.evalEndpoint
            ? await evaluateEndpointSet({ ...meta.evalEndpoint, apiKey: live.evalApiKey }, task, examples, cfg, state, emit, check, cancel.hard)
            : await evaluateOtherModel(meta, task, examples, cfg, state, emit, check, skipMemoryCheck);
        } catch (e) {
          if (e instanceof CancelledError) throw e;
          if (cancel.hard.aborted) throw new CancelledError('hard');
          transferError = `transfer check on ${meta.evalEndpoint ? `${meta.evalEndpoint.model} at ${meta.evalEndpoint.baseUrl}` : meta.evalModel} failed: ${(e as Error).message}`;
          emit({ kind: 'log', level: 'error', message: `${transferError} (the run's own result is kept)` });
        }
      }
    }
  } catch (e) {
    if (!(e instanceof CancelledError)) throw e;
    writeBest(state);
    emit({ kind: 'done', reason: 'cancelled', bestPrompt: state.top[0]?.prompt ?? cfg.initialPrompt });
    return;
  }
  const report: RunReport = {
    schemaVersion: RUN_SCHEMA_VERSION, runId: meta.runId, finished: stopped ? 'stopped' : state.finished ?? 'completed', steps: state.step, model: meta.model.id,
    task: task.name, extractor: task.extractor.id, faithful: cfg.faithful, initial: state.initial, best: state.top,
    last: { prompt: layout.controlText(state.ctrl), ctrl: state.ctrl }, heldOut, transfer, ...(transferError ? { transferError } : {}),
    readability: readability && { initial: readability.initial, top: readability.top },
    totals: state.history.reduce((t, h) => ({
      forwardPasses: t.forwardPasses + h.counts.forwardPasses, backwardPasses: t.backwardPasses + h.counts.backwardPasses,
      generatedTokens: t.generatedTokens + h.counts.generatedTokens, seconds: t.seconds + h.seconds,
    }), { forwardPasses: 0, backwardPasses: 0, generatedTokens: 0, seconds: 0 }),
  };
  writeJsonAtomic(path.join(dir, RUN_FILES.report), report, dir);
  writeTextAtomic(path.join(dir, RUN_FILES.reportMd), renderReportMarkdown(report), dir);
  await loaded.model.dispose();
  emit({
    kind: 'done', reason: stopped ? 'cancelled' : state.finished === 'completed' ? 'completed' : 'early-stop', bestPrompt: state.top[0]?.prompt ?? cfg.initialPrompt,
    ...(heldOut ? { initialAccuracy: heldOut.initial.accuracy, bestAccuracy: heldOut.best[0].accuracy } : {}),
    reportPath: path.join(dir, RUN_FILES.report),
  });
}

/**
 * The run's duration measured on its own model and device before step 1: one batch of each kind of work, and for
 * cheap steps two scratch steps (on a copy of the state, nothing persisted).
 */
export async function measureRun(ctx: OptimizerContext, state: RunState, heldOutSize: number): Promise<RunEstimate> {
  const cfg = ctx.config;
  const probe = await measureCosts(ctx.model, ctx.layout, cfg, ctx.file);
  if (probe.startReasoning) ctx.startReasoning = probe.startReasoning;
  let estimate = extrapolate(probe.costs, cfg, ctx.layout.samples.length, heldOutSize, probe.startReasoning ? 1 : 0);
  if (estimate.stepSeconds < SCRATCH_STEP_BELOW_SECONDS) {
    const ends = [performance.now()];
    const scratch = { ...ctx, config: { ...cfg, steps: Math.min(2, cfg.steps) }, persist: () => {} };
    await runSteps(scratch, structuredClone(state), (e) => { if (e.kind === 'step') ends.push(performance.now()); });
    estimate = withMeasuredSteps(estimate, cfg, ends.slice(1).map((t, i) => (t - ends[i]) / 1000));
  }
  return estimate;
}

/** The optimising model's perplexity of the initial and every top prompt, in the training layout. */
type Readability = NonNullable<RunReport['readability']> & { byKey: Map<string, number> };

async function readabilityOf(m: ModelPort, layout: PromptLayout, state: RunState, check: () => void): Promise<Readability> {
  const byKey = new Map<string, number>();
  for (const t of [state.initial!, ...state.top]) {
    check();
    const k = ctrlKey(t.ctrl);
    if (!byKey.has(k)) byKey.set(k, t.perplexity ?? await promptPerplexity(m, layout, t.ctrl));
  }
  return { initial: byKey.get(ctrlKey(state.initial!.ctrl))!, top: state.top.map((t) => byKey.get(ctrlKey(t.ctrl))!), byKey };
}

async function evaluateOtherModel(
  meta: RunMeta, task: Task, examples: readonly TaskExample[], cfg: GreaterConfig, state: RunState, emit: (e: RunEvent) => void, check: () => void, skipMemoryCheck?: boolean,
): Promise<EvaluationReport> {
  const other = await loadModel({ model: meta.evalModel!, device: meta.device, quantize: meta.quantize, precision: meta.precision, skipMemoryCheck });
  try {
    return await evaluateSet(other.model, task, examples, cfg, state, { name: meta.evalModel!, transfer: true }, emit, check);
  } finally {
    await other.model.dispose();
  }
}

function checkEndpointModel(model: string): string {
  if (!model.trim()) throw new UserError('--eval-endpoint needs a model name (--eval-endpoint-model NAME, as the server lists it at /v1/models)');
  return model.trim();
}

/** The initial and best prompts as text on an OpenAI-compatible endpoint (it tokenises them itself). */
async function evaluateEndpointSet(
  target: EndpointTarget, task: Task, examples: readonly TaskExample[], cfg: GreaterConfig, state: RunState,
  emit: (e: RunEvent) => void, check: () => void, signal: AbortSignal,
): Promise<EvaluationReport> {
  const opts = { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractor: task.extractor, maxNewTokens: cfg.maxNewTokens, answerTokens: cfg.evalAnswerTokens };
  const run = async (t: TopEntry, role: 'initial' | 'best') => {
    emit({ kind: 'phase', step: state.step, phase: 'evaluation' });
    const ev = await evaluateOnEndpoint(target, examples, t.prompt, opts, check, signal);
    emit({ kind: 'evaluation', role, prompt: `[${target.model}] ${t.prompt}`, correct: ev.correct, total: ev.total, accuracy: ev.accuracy, transfer: target.model });
    return ev;
  };
  const initial = await run(state.initial!, 'initial');
  const best: PromptEvaluation[] = [];
  for (const t of state.top.slice(0, cfg.evaluateTop)) best.push(t.prompt === state.initial!.prompt ? initial : await run(t, 'best'));
  return { model: target.model, endpoint: target.baseUrl, initial, best, comparison: best.length ? compareEvaluations(initial, best[0]) : null };
}

/** Initial prompt and the best `evaluateTop` prompts on the held-out examples, on `m`. */
async function evaluateSet(
  m: ModelPort, task: Task, examples: readonly TaskExample[], cfg: GreaterConfig, state: RunState,
  which: { name: string; transfer: boolean }, emit: (e: RunEvent) => void, check: () => void, readability: Readability | null = null,
): Promise<EvaluationReport> {
  const ppl = (t: TopEntry) => (which.transfer ? undefined : readability?.byKey.get(ctrlKey(t.ctrl)));
  const layout = prepareLayout(m, task, examples, cfg);
  const run = async (t: TopEntry, role: 'initial' | 'best') => {
    emit({ kind: 'phase', step: state.step, phase: 'evaluation' });
    // The optimising model uses the exact ids; another model gets the prompt as text (its own tokenizer).
    const ctrl = which.transfer ? layout.encodeControl(t.prompt) : t.ctrl;
    const ev = await evaluatePrompt(m, layout, ctrl, {
      batchSize: cfg.batchSize, maxNewTokens: generationBudget(layout, ctrl.length, cfg.maxNewTokens, m.config.maxPositions, task.file),
      answerTokens: cfg.evalAnswerTokens, joiner: cfg.reasoningJoiner, extractor: task.extractor,
    }, check);
    const perplexity = ppl(t);
    emit({
      kind: 'evaluation', role, prompt: which.transfer ? `[${which.name}] ${t.prompt}` : t.prompt, correct: ev.correct, total: ev.total, accuracy: ev.accuracy,
      ...(perplexity !== undefined ? { perplexity } : {}), ...(which.transfer ? { transfer: which.name } : {}),
    });
    return ev;
  };
  const initial = await run(state.initial!, 'initial');
  const best: PromptEvaluation[] = [];
  for (const t of state.top.slice(0, cfg.evaluateTop)) best.push(ctrlKey(t.ctrl) === ctrlKey(state.initial!.ctrl) ? initial : await run(t, 'best'));
  return { model: which.name, initial, best, comparison: best.length ? compareEvaluations(initial, best[0]) : null };
}
