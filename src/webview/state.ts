// The panel's state as data: the view model kept with setState (form, preview, dry run, the run as the shared
// fold of its events plus the panel's own phase) and the pure reducers over the extension's messages and run
// events. No DOM and no VS Code API here; main.ts owns those and the views read this.
import { BUDGET_NAMES, BUDGET_PRESETS, emptyRunProgress, foldRunEvents } from '../shared/panelMessages';
import type {
  BudgetName, EngineCheckParams, EngineCheckResult, PrecisionChoice, QuantizeChoice, DatasetPreviewResult, ExtractorCheckResult, HeldOutExample, PromptSource, TopPrompt, RunEstimateResult, RunEvent, RunPhaseState, RunProgress, RunSettings, StartRequest,
  ToWebview,
} from '../shared/panelMessages';

export interface Form extends RunSettings {
  datasetKind: 'demo' | 'file';
  datasetPath: string;
  questionField: string;
  answerField: string;
  extractorMode: 'preset' | 'text';
  preset: string;
  extractorText: string;
  prompt: string;
  /** a preset fills the sizes below; editing one of them makes it 'custom' */
  budget: BudgetName | 'custom';
  heldOutSize: number;
  maxNewTokens: number;
  quantize: QuantizeChoice;
  precision: PrecisionChoice;
}

/** The sizes a budget preset sets (README "Budgets"). */
export type BudgetSizes = Pick<Form, 'trainSize' | 'heldOutSize' | 'maxNewTokens' | 'topK' | 'steps'>;

/** "Check on deployment model": none, a second local model, or an OpenAI-compatible endpoint (transfer.ts) */
export interface TransferForm {
  kind: 'none' | 'model' | 'endpoint';
  /** the section is unfolded (kept across re-renders) */
  open: boolean;
  model: string;
  baseUrl: string;
  endpointModel: string;
}

/** The run as its events describe it (the shared fold) plus the panel's own phase and failure text. */
export interface RunView extends RunProgress {
  state: RunPhaseState;
  message?: string;
  resumable?: boolean;
}

export interface ViewState {
  version: 1;
  /** read by the extension's serializer after a reload */
  session: { source?: PromptSource; runId?: string; runDir?: string };
  trusted: boolean;
  form: Form;
  preview?: DatasetPreviewResult;
  previewError?: string;
  check?: ExtractorCheckResult;
  checkError?: string;
  /** pick: the file dialog is open (the file radio shows checked until it answers) */
  busy: { preview?: boolean; check?: boolean; start?: boolean; pick?: boolean; estimate?: boolean; engine?: boolean };
  /** the worker's engine/check for the device / quantize / precision with this key (engineKey) */
  engineCheck?: { key: string; result: EngineCheckResult };
  /** the run's duration measured by the worker (run/estimate) for the form with this key */
  estimate?: { key: string; result: RunEstimateResult };
  estimateError?: string;
  startError?: string;
  applyMessage?: string;
  applyError?: string;
  applied: boolean;
  run: RunView;
  /** the ended run's report: held-out examples (initial vs best), top prompts, readability */
  report?: { runId: string; examples?: HeldOutExample[]; top?: TopPrompt[]; initialPerplexity?: number };
  /** the top prompt picked in the result view (Apply / Copy / the diff use it); none = the best */
  chosenPrompt?: string;
  /** "Check on deployment model" (transfer.ts) */
  transfer?: TransferForm;
  endpointKeySet?: boolean;
  transferError?: string;
}

export function freshRun(): RunView {
  return { ...emptyRunProgress(), state: 'idle' };
}

/** What a form saved before the budget and engine fields existed lacks: the optimizer's defaults (the paper sizes). */
const FORM_DEFAULTS = {
  budget: 'custom', heldOutSize: BUDGET_PRESETS.paper.heldOutSize, maxNewTokens: BUDGET_PRESETS.paper.maxNewTokens, quantize: 'none', precision: 'fp32',
} as const satisfies Partial<Form>;

export function defaultForm(settings: RunSettings, prompt: string): Form {
  const f: Form = {
    ...settings, datasetKind: 'demo', datasetPath: '', questionField: '', answerField: '', extractorMode: 'preset',
    preset: '', extractorText: '', prompt, ...FORM_DEFAULTS,
  };
  f.budget = budgetOf(f);
  return f;
}

/** A form restored from an older panel state, completed with the defaults of the fields it lacks. */
export function completeForm(f: Partial<Form> & Omit<Form, keyof typeof FORM_DEFAULTS>): Form {
  return { ...FORM_DEFAULTS, ...f };
}

/** The preset whose sizes the form holds, or 'custom'. */
export function budgetOf(f: BudgetSizes): Form['budget'] {
  return BUDGET_NAMES.find((n) => (Object.keys(BUDGET_PRESETS[n]) as (keyof BudgetSizes)[]).every((k) => BUDGET_PRESETS[n][k] === f[k])) ?? 'custom';
}

/** Picking a preset fills its sizes; 'custom' keeps the sizes as they are. */
export function chooseBudget(f: Form, budget: Form['budget']): void {
  if (budget !== 'custom') Object.assign(f, BUDGET_PRESETS[budget]);
  f.budget = budget;
}

/** Editing one size: the form is custom unless the sizes still are a preset's. */
export function setSize(f: Form, key: keyof BudgetSizes, value: number): void {
  f[key] = value;
  f.budget = budgetOf(f);
}

/** Which engine check belongs to the form: its device, quantization and precision. */
export function engineKey(f: Form): string {
  return JSON.stringify(engineParams(f));
}

export function engineParams(f: Form): EngineCheckParams {
  return { device: f.device, quantize: f.quantize, precision: f.precision };
}

export function initialState(): ViewState {
  return {
    version: 1, session: {}, trusted: true, form: defaultForm({ model: 'demo', device: 'auto', steps: 10, topK: 50, topQ: 5, trainSize: 50, seed: 0 }, ''),
    busy: {}, applied: false, run: freshRun(),
  };
}

/** Applies one message from the extension to the state (in place: the state is the page's one draft). */
export function applyMessage(s: ViewState, m: ToWebview): void {
  switch (m.type) {
    case 'init': {
      const sameSession = s.session.runId === m.runId && s.session.source?.uri === m.source?.uri && s.session.source?.start === m.source?.start;
      s.trusted = m.trusted;
      if (!sameSession) {
        s.session = { source: m.source, runId: m.runId };
        const keepFile = s.form.datasetKind === 'file' ? { datasetKind: 'file' as const, datasetPath: s.form.datasetPath } : {};
        s.form = m.request ? formFromRequest(m.settings, m.request) : { ...defaultForm(m.settings, m.source?.optimizable ?? ''), ...keepFile };
        s.applied = false;
        s.applyMessage = s.applyError = s.startError = undefined;
        s.chosenPrompt = undefined;
        // the run's own dataset is previewed afresh
        if (m.request) s.preview = s.previewError = s.check = s.checkError = undefined;
      }
      // a replay follows for runs: start from a clean run view either way
      s.run = freshRun();
      if (m.runId) s.run.runId = m.runId;
      return;
    }
    case 'datasetPicked':
      s.busy.pick = false;
      if (m.path === undefined) return; // cancelled: the form keeps its dataset
      s.form.datasetKind = 'file';
      s.form.datasetPath = m.path;
      clearDataset(s);
      return;
    case 'preview':
      s.preview = m.result;
      s.previewError = undefined;
      s.busy.preview = false;
      if (m.result.needsMapping) return;
      s.form.questionField ||= m.result.suggested.questionField ?? '';
      s.form.answerField ||= m.result.suggested.answerField ?? '';
      if (!s.form.preset) s.form.preset = m.result.defaultPreset ?? m.result.extractorPresets[0]?.name ?? '';
      if (!s.form.prompt && m.result.defaultPrompt) s.form.prompt = m.result.defaultPrompt;
      return;
    case 'estimate':
      s.estimate = { key: m.key, result: m.result };
      s.estimateError = undefined;
      s.busy.estimate = false;
      return;
    case 'engineCheck':
      s.engineCheck = { key: m.key, result: m.result };
      s.busy.engine = false;
      return;
    case 'extractorCheck':
      s.check = m.result;
      s.checkError = undefined;
      s.busy.check = false;
      return;
    case 'requestError':
      if (m.request === 'preview') { s.previewError = m.message; s.busy.preview = false; }
      if (m.request === 'extractorCheck') { s.checkError = m.message; s.busy.check = false; }
      if (m.request === 'estimate') { s.estimateError = m.message; s.busy.estimate = false; }
      // no answer (e.g. a worker without the optimizer): nothing to show next to the fields; Start reports the rest
      if (m.request === 'engineCheck') s.busy.engine = false;
      if (m.request === 'start') { s.startError = m.message; s.busy.start = false; if (s.run.state === 'starting') s.run.state = 'idle'; }
      if (m.request === 'apply') { s.applyError = m.message; s.applyMessage = undefined; }
      return;
    case 'runStarted':
      s.chosenPrompt = undefined;
      s.session.runId = m.runId;
      s.session.runDir = m.runDir;
      s.run.runId = m.runId;
      s.run.runDir = m.runDir;
      s.busy.start = false;
      s.startError = undefined;
      return;
    case 'event':
      s.run = onRunEvent(s.run, m.event);
      return;
    case 'runState':
      s.run.state = m.state;
      s.run.message = m.message;
      s.run.resumable = m.resumable;
      return;
    case 'report':
      s.report = { runId: m.runId, examples: m.examples, top: m.top, initialPerplexity: m.initialPerplexity };
      if (s.chosenPrompt !== undefined && !m.top?.some((t) => t.prompt === s.chosenPrompt)) s.chosenPrompt = undefined;
      return;
    case 'applied':
      s.applied = m.action === 'apply';
      s.applyMessage = m.message;
      s.applyError = undefined;
      return;
  }
}

/** The run view after one event: the shared fold, plus the panel's phase and failure text. */
export function onRunEvent(r: RunView, e: RunEvent): RunView {
  const next = foldRunEvents(r, e);
  switch (e.kind) {
    case 'run-started':
      if (r.state === 'idle' || r.state === 'starting' || r.state === 'failed') next.state = 'running';
      break;
    case 'done':
      next.state = 'finished';
      break;
    case 'error':
      next.state = 'failed';
      next.message = e.message;
      next.resumable = e.resumable;
      break;
  }
  return next;
}

/**
 * Forgets everything read from the previous dataset (preview, column mapping, extractor preset, dry run): a new
 * file's columns and answers are its own.
 */
export function clearDataset(s: ViewState): void {
  s.preview = s.previewError = s.check = s.checkError = undefined;
  s.form.questionField = s.form.answerField = '';
  s.form.preset = '';
}

/** Switches to the built-in demo task. */
export function useDemoDataset(s: ViewState): void {
  s.form.datasetKind = 'demo';
  s.form.datasetPath = '';
  clearDataset(s);
}

/** The form a run was started with (a reopened panel shows it, never the defaults). */
export function formFromRequest(settings: RunSettings, r: StartRequest): Form {
  const ex = r.extractor;
  const f: Form = {
    ...settings, model: r.model, device: r.device, steps: r.steps, topK: r.topK, topQ: r.topQ, trainSize: r.trainSize, seed: r.seed,
    datasetKind: 'path' in r.dataset ? 'file' : 'demo', datasetPath: 'path' in r.dataset ? r.dataset.path : '',
    questionField: r.questionField ?? '', answerField: r.answerField ?? '',
    extractorMode: 'text' in ex ? 'text' : 'preset', preset: 'preset' in ex ? ex.preset : '', extractorText: 'text' in ex ? ex.text : '',
    prompt: r.initialPrompt,
    budget: 'custom', heldOutSize: r.heldOutSize ?? FORM_DEFAULTS.heldOutSize, maxNewTokens: r.maxNewTokens ?? FORM_DEFAULTS.maxNewTokens,
    quantize: r.quantize ?? FORM_DEFAULTS.quantize, precision: r.precision ?? FORM_DEFAULTS.precision,
  };
  // the preset it was started with shows again, unless its sizes were edited after picking it
  f.budget = budgetOf(f);
  return f;
}

/** What keeps Start from working, per form field, checked before Start (from what the preview knows). */
export interface FormProblems {
  trainSize?: string;
  maxNewTokens?: string;
  columns?: string;
  prompt?: string;
  /** the worker's refusals of the engine choices, for the form as it is now */
  device?: string;
  quantize?: string;
  precision?: string;
}

/** The worker's bound on the reasoning length (src/worker/validate.ts). */
const MAX_NEW_TOKENS = 100000;

export function formProblems(s: ViewState): FormProblems {
  const out: FormProblems = {};
  const f = s.form;
  const p = s.preview;
  if (!f.prompt.trim()) out.prompt = 'Type the initial prompt first.';
  if (p?.needsMapping && !(f.questionField && f.answerField && f.questionField !== f.answerField)) out.columns = p.needsMapping;
  // the split keeps at least one example out of training for the before/after check
  if (p && f.trainSize > p.total - 1) {
    out.trainSize = p.total < 2
      ? `This dataset has ${p.total} example; GReaTer needs at least 2 (one to train on, one held out).`
      : `Train size ${f.trainSize} is too large for this dataset of ${p.total} examples: use at most ${p.total - 1} (the rest is held out for the before/after check).`;
  }
  if (f.maxNewTokens > MAX_NEW_TOKENS) out.maxNewTokens = `Reasoning tokens ${f.maxNewTokens} is more than the ${MAX_NEW_TOKENS} the worker accepts.`;
  const engine = s.engineCheck?.key === engineKey(f) ? s.engineCheck.result.refusals : {};
  for (const k of ['device', 'quantize', 'precision'] as const) if (engine[k]) out[k] = engine[k];
  return out;
}

export function datasetRef(f: Form) {
  return f.datasetKind === 'demo' ? { builtin: 'demo' as const } : { path: f.datasetPath };
}

/** Which form a measured estimate belongs to: everything that changes a run's duration (the seed does not). */
export function estimateKey(f: Form): string {
  const { seed: _seed, ...rest } = startRequest(f);
  return JSON.stringify(rest);
}

/** The measured estimate, if it was measured for the form as it is now. */
export function currentEstimate(s: ViewState): RunEstimateResult | undefined {
  return s.estimate && s.estimate.key === estimateKey(s.form) ? s.estimate.result : undefined;
}

/** What the setup form submits. */
export function startRequest(f: Form): StartRequest {
  return {
    model: f.model, device: f.device, steps: f.steps, topK: f.topK, topQ: f.topQ, trainSize: f.trainSize, seed: f.seed,
    dataset: datasetRef(f), questionField: f.questionField || undefined, answerField: f.answerField || undefined,
    extractor: f.extractorMode === 'text' ? { text: f.extractorText } : { preset: f.preset || 'auto' },
    initialPrompt: f.prompt,
    ...(f.budget && f.budget !== 'custom' ? { budget: f.budget } : {}),
    heldOutSize: f.heldOutSize, maxNewTokens: f.maxNewTokens, quantize: f.quantize, precision: f.precision,
  };
}

/**
 * Whether the result view recommends Apply: only a prompt that beat the initial one on the held-out examples. A
 * prompt whose held-out accuracy did not improve, or was never checked, or whose readability collapsed (perplexity
 * up more than READABILITY_COLLAPSE times), gets "Keep original" as the primary action.
 */
export function applyAdvice(x: {
  initialPrompt: string; bestPrompt: string; initialAccuracy?: number; bestAccuracy?: number; initialPerplexity?: number; bestPerplexity?: number;
}): { recommend: 'apply' | 'keep'; reason?: string } {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  if (x.bestPrompt.trim() === x.initialPrompt.trim()) return { recommend: 'keep', reason: 'The best prompt found is the initial one.' };
  if (x.initialAccuracy === undefined || x.bestAccuracy === undefined) {
    return { recommend: 'keep', reason: 'No held-out check ran, so nothing shows the new prompt does better.' };
  }
  if (x.bestAccuracy <= x.initialAccuracy) {
    return { recommend: 'keep', reason: `Held-out accuracy did not improve (${pct(x.initialAccuracy)} → ${pct(x.bestAccuracy)}): the new prompt is not shown to be better.` };
  }
  if (x.initialPerplexity !== undefined && x.bestPerplexity !== undefined && x.bestPerplexity > READABILITY_COLLAPSE * x.initialPerplexity) {
    return {
      recommend: 'keep',
      reason: `Readability collapsed: the model's perplexity of the prompt rose from ${x.initialPerplexity.toFixed(1)} to ${x.bestPerplexity.toFixed(1)} (word salad reads as unlikely text); pick a more readable top prompt or keep the original.`,
    };
  }
  return { recommend: 'apply' };
}

/** A prompt the model finds this many times less likely than the initial one no longer reads as language. */
export const READABILITY_COLLAPSE = 3;
