// Messages between the extension and the webview panel: one union per direction, `type` the discriminant,
// switched on both sides. Also the serialisable "where the prompt came from" record. Pure, imports types only.
import type {
  DatasetPreviewResult, DatasetRef, EngineCheckParams, EngineCheckResult, ExtractorCheckResult, ExtractorSpec, PromptContext, RunEstimateResult, RunEvent, RunStartParams,
} from '../worker/protocol';
import type { LiteralStyle, Part } from './literalStyle';
import type { RunSettings, TransferTarget } from '../worker/protocol';

/** The prompt literal a run will write back into: enough to Apply after a window reload. */
export interface PromptSource {
  uri: string;
  /** "prompts.ts:12" */
  label: string;
  languageId: string;
  /** offsets of the whole literal when the run started, and its exact source then */
  start: number;
  end: number;
  original: string;
  style: LiteralStyle;
  /** a selection inside a literal: the range holds the body only, no quotes */
  bodyOnly?: boolean;
  optimizable: string;
  prefixParts: Part[];
  suffixParts: Part[];
  context: PromptContext;
  placeholders: string[];
}

/** The run settings are the protocol's (a slice of run/start's params). */
export type { RunSettings };

/** The form's budget preset with the sizes it does not show elsewhere, and the engine's formats (run/start's). */
export type BudgetAndFormats = Pick<RunStartParams, 'budget' | 'heldOutSize' | 'maxNewTokens' | 'quantize' | 'precision'>;

/** The budget and format fields a request sets; absent ones stay absent on the wire (the worker's defaults). */
export function budgetAndFormats(r: BudgetAndFormats): BudgetAndFormats {
  const out: BudgetAndFormats = {};
  if (r.budget !== undefined) out.budget = r.budget;
  if (r.heldOutSize !== undefined) out.heldOutSize = r.heldOutSize;
  if (r.maxNewTokens !== undefined) out.maxNewTokens = r.maxNewTokens;
  if (r.quantize !== undefined) out.quantize = r.quantize;
  if (r.precision !== undefined) out.precision = r.precision;
  return out;
}

/** What the setup form submits; the extension adds runsDir and the prompt context. */
export interface StartRequest extends RunSettings, BudgetAndFormats {
  dataset: DatasetRef;
  questionField?: string;
  answerField?: string;
  extractor: ExtractorSpec;
  initialPrompt: string;
  /** check the initial and best prompts on a deployment model too (no API key here: it stays in SecretStorage) */
  transfer?: TransferTarget;
}

/** One held-out example, initial vs best prompt (report.json), for the result view's table. */
export interface HeldOutExample {
  /** line in the dataset file */
  line: number;
  question: string;
  gold: string;
  initial: { answer: string | null; correct: boolean; reasoning: string };
  best?: { answer: string | null; correct: boolean; reasoning: string };
}

/** One of the run's top prompts, for the result view's picker. */
export interface TopPrompt {
  prompt: string;
  score: number;
  trainAccuracy: number;
  /** the model's perplexity of the prompt (readability; lower reads more naturally) */
  perplexity?: number;
  /** for the prompts the run evaluated on the held-out set */
  heldOutAccuracy?: number;
}

export type RunPhaseState = 'idle' | 'starting' | 'running' | 'cancelling' | 'finished' | 'failed';

export type ToWebview =
  /** `request`: what started the session's run, so a reopened panel shows that run's form, not the defaults */
  | { type: 'init'; source?: PromptSource; settings: RunSettings; trusted: boolean; runId?: string; request?: StartRequest }
  /** no path: the file dialog was cancelled */
  | { type: 'datasetPicked'; path?: string }
  | { type: 'preview'; result: DatasetPreviewResult }
  | { type: 'extractorCheck'; result: ExtractorCheckResult }
  /** `key`: the form it was measured for (estimateKey) */
  | { type: 'estimate'; key: string; result: RunEstimateResult }
  /** a failed request from the form (preview, check, start) */
  | { type: 'requestError'; request: 'preview' | 'extractorCheck' | 'start' | 'apply' | 'estimate' | 'engineCheck'; message: string }
  | { type: 'runStarted'; runId: string; runDir: string }
  | { type: 'event'; runId: string; event: RunEvent }
  | { type: 'runState'; state: RunPhaseState; message?: string; resumable?: boolean }
  | { type: 'applied'; action: 'apply' | 'revert'; message: string }
  /** the worker's answer to checkEngine for the engine choices with this key (engineKey) */
  | { type: 'engineCheck'; key: string; result: EngineCheckResult }
  /** what the ended run's report.json holds for the result view */
  | { type: 'report'; runId: string; examples?: HeldOutExample[]; top?: TopPrompt[]; initialPerplexity?: number; transferError?: string }
  /** whether an endpoint API key is stored (never the key) */
  | { type: 'endpointKey'; stored: boolean };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'pickDataset' }
  | { type: 'preview'; dataset: DatasetRef; questionField?: string; answerField?: string }
  | { type: 'checkExtractor'; request: StartRequest }
  | { type: 'estimate'; key: string; request: StartRequest }
  | { type: 'checkEngine'; key: string; params: EngineCheckParams }
  | { type: 'start'; request: StartRequest }
  | { type: 'stop' }
  | { type: 'resume' }
  | { type: 'apply'; prompt: string }
  | { type: 'revert' }
  | { type: 'copy'; prompt: string }
  /** "Set API key…": the extension asks for the key itself */
  | { type: 'setEndpointKey' };

// The wire contract the panel renders (pure, import-free modules), re-exported so the webview imports
// src/shared only.
export { BUDGET_NAMES, BUDGET_PRESETS, DEVICE_CHOICES, PRECISION_CHOICES, QUANTIZE_CHOICES, emptyRunProgress, foldRunEvents } from '../worker/protocol';
export type { TransferTarget };
export type { BudgetName, DatasetPreviewResult, DeviceChoice, EngineCheckParams, EngineCheckResult, PrecisionChoice, QuantizeChoice, ExtractorCheckResult, RunEstimateResult, RunEvent, RunEventOf, RunProgress } from '../worker/protocol';
