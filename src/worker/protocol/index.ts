// The worker's RPC contract, shared by the worker (src/worker), the extension (src/extension) and, for the
// event types, the webview. One exported object per method: literal method name + params + result types
// (the lsp `protocol.*.ts` pattern). Transport: vscode-jsonrpc 8.2.1 over Node IPC (child_process.fork).
// It imports only src/greater/events.ts (which imports nothing), so every side can use it.

// ---------------------------------------------------------------------------------------------------------
// Shared names

/** `model` value for the built-in demo model shipped with the extension (issue 6). */
export const BUILTIN_DEMO_MODEL = 'demo';
/** `dataset.builtin` value for the built-in demo task. */
export const BUILTIN_DEMO_TASK = 'demo';

/** Where a run may be placed: the engine's devices or 'auto' (the engine's DeviceChoice; the adapter checks
 * at compile time that the two lists agree). */
export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda', 'webgpu'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

/** Weight-only quantization and float width of a load (the engine's --quantize / --precision; the adapter checks
 * at compile time that the lists agree). */
export const QUANTIZE_CHOICES = ['none', 'int8', 'int4', 'auto'] as const;
export type QuantizeChoice = (typeof QUANTIZE_CHOICES)[number];
export const PRECISION_CHOICES = ['fp32', 'fp16', 'auto'] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

/** The budget presets (src/greater/budgets.ts, README "Budgets"), mirrored for the panel's picker; the adapter
 * checks at compile time that both tables hold the same numbers. */
export const BUDGET_PRESETS = {
  quick: { trainSize: 9, heldOutSize: 27, maxNewTokens: 96, topK: 20, steps: 20 },
  standard: { trainSize: 25, heldOutSize: 50, maxNewTokens: 256, topK: 40, steps: 60 },
  paper: { trainSize: 50, heldOutSize: 100, maxNewTokens: 1024, topK: 40, steps: 125 },
} as const;
export type BudgetName = keyof typeof BUDGET_PRESETS;
export const BUDGET_NAMES = Object.keys(BUDGET_PRESETS) as BudgetName[];

export type CancelMode = 'soft' | 'hard';

/**
 * After the run, the initial and best prompts are also checked on a deployment model: a second local model (HF id
 * or folder) or an OpenAI-compatible endpoint. An endpoint's API key never travels in params: the extension puts
 * it in the worker's environment as EVAL_API_KEY_ENV at fork time.
 */
export type TransferTarget = { kind: 'model'; model: string } | { kind: 'endpoint'; baseUrl: string; model: string };
export const EVAL_API_KEY_ENV = 'GREATER_EVAL_API_KEY';

export type DatasetRef = { path: string } | { builtin: typeof BUILTIN_DEMO_TASK };

/** A preset name (see `dataset/preview` → extractorPresets) or the literal extractor text. */
export type ExtractorSpec = { preset: string } | { text: string };

/**
 * The fixed text around the optimised span of a prompt literal, kept verbatim. When `questionPlaceholder`
 * (e.g. "{question}") occurs in prefix or suffix it is replaced by each example's question; without it the
 * optimizer uses its default layout (question first, then the prompt).
 */
export interface PromptContext {
  prefix: string;
  suffix: string;
  questionPlaceholder?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Progress events and the run-folder contract are the optimizer's (src/greater/events.ts, no imports); the
// worker forwards events unchanged as `run/event`, so they cross the wire and are re-exported here (with the
// duration format, so the panel shows an ETA as the CLI does).
export {
  ACTIVE_LOCK_FILE, PHASES, RUN_FILES, emptyRunProgress, foldAllRunEvents, foldRunEvents, formatDuration,
} from '../../greater/events';
export type { ActiveLock, PassCounts, Phase, RunEvent, RunEventKind, RunEventOf, RunProgress } from '../../greater/events';
import type { RunEvent, RunEventOf } from '../../greater/events';

// ---------------------------------------------------------------------------------------------------------
// Method definitions. `Req` carries the params/result types as phantoms so both ends type-check against it.

export interface RequestDef<M extends string, P, R> {
  readonly method: M;
  readonly kind: 'request';
  /** phantom, never set at runtime */
  readonly types?: { params: P; result: R };
}
export interface NotificationDef<M extends string, P> {
  readonly method: M;
  readonly kind: 'notification';
  readonly types?: { params: P };
}
function request<P, R>() {
  return <M extends string>(method: M): RequestDef<M, P, R> => ({ method, kind: 'request' });
}
function notification<P>() {
  return <M extends string>(method: M): NotificationDef<M, P> => ({ method, kind: 'notification' });
}
export type ParamsOf<D> = D extends RequestDef<string, infer P, unknown> ? P : D extends NotificationDef<string, infer P> ? P : never;
export type ResultOf<D> = D extends RequestDef<string, unknown, infer R> ? R : never;

/** What the model, data and extractor are; shared by run/start, eval/prompt and extractor/check. */
export interface TaskSpec {
  /** HF repo id, a local model folder, or BUILTIN_DEMO_MODEL */
  model: string;
  device: DeviceChoice;
  dataset: DatasetRef;
  questionField?: string;
  answerField?: string;
  extractor: ExtractorSpec;
  seed: number;
  /** default none / fp32 */
  quantize?: QuantizeChoice;
  precision?: PrecisionChoice;
}

// worker/info ------------------------------------------------------------------------------------------------
export interface WorkerInfoResult {
  pid: number;
  node: string;
  optimizerAvailable: boolean;
  /** why the optimizer is not available (e.g. not built into this worker) */
  unavailableReason?: string;
  activeRunId?: string;
}
export const WorkerInfo = request<Record<string, never>, WorkerInfoResult>()('worker/info');

// run/start --------------------------------------------------------------------------------------------------
export interface RunStartParams extends TaskSpec {
  /** the optimisable span of the prompt (placeholders live in `context`) */
  initialPrompt: string;
  context?: PromptContext;
  steps: number;
  topK: number;
  topQ: number;
  trainSize: number;
  /** a budget preset: its sizes first, the sizes given here over them (as the CLI's --budget) */
  budget?: BudgetName;
  /** held-out examples checked at the end, and the reasoning length cap (the optimizer's defaults without them) */
  heldOutSize?: number;
  maxNewTokens?: number;
  /** parent folder of run directories, usually <workspace>/.greater/runs */
  runsDir: string;
  transfer?: TransferTarget;
}
/** The settings of a run as the editor's settings and the panel form hold them (a slice of run/start). */
export type RunSettings = Pick<RunStartParams, 'model' | 'device' | 'steps' | 'topK' | 'topQ' | 'trainSize' | 'seed'>;

export interface RunStartResult {
  runId: string;
  runDir: string;
}
export const RunStart = request<RunStartParams, RunStartResult>()('run/start');

// run/cancel: soft = drop the step in flight at its next sub-step boundary, then evaluate the initial and best
// prompts on the held-out set (the last checkpoint stays); hard = stop at the next await, no evaluation. The
// extension kills the process only if a stopping run goes silent for its timeout.
export interface RunCancelParams {
  runId: string;
  mode: CancelMode;
}
export interface RunCancelResult {
  /** false when no run with that id is active (already finished) */
  accepted: boolean;
}
export const RunCancel = request<RunCancelParams, RunCancelResult>()('run/cancel');

// run/resume -------------------------------------------------------------------------------------------------
export interface RunResumeParams {
  runDir: string;
}
export const RunResume = request<RunResumeParams, RunStartResult>()('run/resume');

// run/status -------------------------------------------------------------------------------------------------
export interface RunStatusResult {
  state: 'idle' | 'running' | 'cancelling';
  runId?: string;
  runDir?: string;
  /** last `step` event of the active run */
  lastStep?: RunEventOf<'step'>;
}
export const RunStatus = request<Record<string, never>, RunStatusResult>()('run/status');

// eval/prompt ------------------------------------------------------------------------------------------------
export interface EvalPromptParams extends TaskSpec {
  prompt: string;
  context?: PromptContext;
  /** which examples: the held-out split of the seeded train/held-out split, the train split, or all */
  split: 'heldout' | 'train' | 'all';
  /** the split's training size; not used (0 allowed) when split is 'all' */
  trainSize: number;
  limit?: number;
}
export interface EvalPromptResult {
  correct: number;
  total: number;
  accuracy: number;
}
export const EvalPrompt = request<EvalPromptParams, EvalPromptResult>()('eval/prompt');

// run/estimate: the run's duration, measured on its model and device for a few seconds ---------------------
export type RunEstimateParams = Omit<RunStartParams, 'runsDir'>;
export interface RunEstimateResult {
  totalSeconds: number;
  stepSeconds: number;
  /** the reasoning of the starting prompt before step 1, and the held-out check at the end */
  startSeconds: number;
  evaluationSeconds: number;
  /** how long the measurement took */
  probeSeconds: number;
  /** the estimate in one line, as the CLI prints it */
  summary: string;
}
export const RunEstimate = request<RunEstimateParams, RunEstimateResult>()('run/estimate');

// engine/check: would this device / quantization / precision load? Each refusal in the load's own words --------
export interface EngineCheckParams {
  device: DeviceChoice;
  quantize: QuantizeChoice;
  precision: PrecisionChoice;
}
export interface EngineCheckResult {
  /** the device `auto` resolves to (absent when the device itself is refused) */
  resolvedDevice?: Exclude<DeviceChoice, 'auto'>;
  refusals: { device?: string; quantize?: string; precision?: string };
}
export const EngineCheck = request<EngineCheckParams, EngineCheckResult>()('engine/check');

// extractor/check: dry run on N samples ------------------------------------------------------------------------
export interface ExtractorCheckParams extends TaskSpec {
  prompt: string;
  context?: PromptContext;
  samples: number;
}
export interface ExtractorSample {
  question: string;
  gold: string;
  reasoning: string;
  /** null when the extractor found no answer */
  extracted: string | null;
  correct: boolean;
}
export interface ExtractorCheckResult {
  samples: ExtractorSample[];
  /** the model's exact input for the first sample (prompt template and chat template applied, special tokens shown) */
  modelInput?: string;
}
export const ExtractorCheck = request<ExtractorCheckParams, ExtractorCheckResult>()('extractor/check');

// dataset/preview ----------------------------------------------------------------------------------------------
export interface DatasetPreviewParams {
  dataset: DatasetRef;
  questionField?: string;
  answerField?: string;
  rows: number;
}
export interface DatasetPreviewResult {
  format: 'builtin' | 'bbh' | 'jsonl' | 'csv' | 'json' | 'folder';
  columns: string[];
  rows: Record<string, string>[];
  total: number;
  /** fields the loader would pick without a mapping */
  suggested: { questionField?: string; answerField?: string };
  /** label: the answer shape in plain words ("multiple choice (A)–(E)", "number", "yes/no"); one per distinct text */
  extractorPresets: { name: string; label: string; description: string; text: string }[];
  /** preset that suits this dataset best */
  defaultPreset?: string;
  /** for the built-in task: its default (weak) initial prompt */
  defaultPrompt?: string;
  /**
   * set when the question/answer columns cannot be told (or the chosen ones do not fit): why, in words for the
   * column mapper; `rows` then hold every column of the first rows and `columns` all of the file's columns
   */
  needsMapping?: string;
}
export const DatasetPreview = request<DatasetPreviewParams, DatasetPreviewResult>()('dataset/preview');

// run/event (worker → extension) -------------------------------------------------------------------------------
export interface RunEventParams {
  runId: string;
  event: RunEvent;
}
export const RunEventNotification = notification<RunEventParams>()('run/event');

/** Every request, for handler registration checks and tests. */
export const REQUESTS = [WorkerInfo, RunStart, RunCancel, RunResume, RunStatus, EvalPrompt, ExtractorCheck, DatasetPreview, RunEstimate, EngineCheck] as const;

// ---------------------------------------------------------------------------------------------------------
// Error codes: one table. JSON-RPC's own codes, then ours (positive, outside the reserved range).
export const RpcErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  /** params failed validation; message names method, field, expected and received */
  InvalidParams: -32602,
  /** a bug: the handler threw something that is not a user error */
  InternalError: -32603,
  /** the request was cancelled by the caller ($/cancelRequest) */
  RequestCancelled: -32800,
  /** this worker was built without the optimizer, or it failed to load */
  OptimizerUnavailable: 1001,
  /** run/start or run/resume while another run is active in this worker or workspace */
  RunActive: 1002,
  /** run/cancel or run/resume named a run that does not exist */
  RunNotFound: 1003,
  /** bad user input detected by the optimizer (dataset, extractor, model): message says what to fix */
  UserInput: 1004,
} as const;
export type RpcErrorCode = (typeof RpcErrorCodes)[keyof typeof RpcErrorCodes];
