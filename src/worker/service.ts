// The seam between the worker's RPC layer and the optimizer (./adapter.ts implements it over src/greater). The worker owns
// transport, one-run-at-a-time, cancellation plumbing and event forwarding; the service owns everything
// about GReaTer, the run directory and its files.
import type {
  DatasetPreviewParams, DatasetPreviewResult, EngineCheckParams, EngineCheckResult, EvalPromptParams, EvalPromptResult, ExtractorCheckParams,
  ExtractorCheckResult, RunEstimateParams, RunEstimateResult, RunEvent, RunStartParams,
} from './protocol';
import type { RunCancellation } from '../greater/run';

/** One run's cancellation is the optimizer's own (src/greater/run.ts). */
export type { RunCancellation };

/**
 * Contract for the event stream of `startRun` / `resumeRun`:
 *  - the first event is `run-started` (its runId/runDir answer the RPC call), emitted once the run
 *    directory exists; input errors found before that are thrown (UserError → code UserInput);
 *  - the last event is `done` or `error`; the stream then ends;
 *  - every event is also appended to `<runDir>/events.jsonl` by the service (the Runs view reads it);
 *  - the stream must yield between steps and inside long phases, or cancellation cannot take effect.
 * If the iterator throws after `run-started`, the worker emits `error` with resumable = true.
 */
export interface OptimizerService {
  startRun(params: RunStartParams, cancel: RunCancellation): AsyncIterable<RunEvent>;
  /** continue the run in `runDir` from its checkpoint; its config comes from the run folder */
  resumeRun(runDir: string, cancel: RunCancellation): AsyncIterable<RunEvent>;
  evaluatePrompt(params: EvalPromptParams, signal: AbortSignal): Promise<EvalPromptResult>;
  checkExtractor(params: ExtractorCheckParams, signal: AbortSignal): Promise<ExtractorCheckResult>;
  previewDataset(params: DatasetPreviewParams): Promise<DatasetPreviewResult>;
  estimateRun(params: RunEstimateParams, signal: AbortSignal): Promise<RunEstimateResult>;
  /** whether a device / quantization / precision would load, before any model */
  checkEngine(params: EngineCheckParams): Promise<EngineCheckResult>;
}

/** How the worker obtains the service: a loader, or why there is none. */
export type ServiceLoader = () => Promise<OptimizerService>;
