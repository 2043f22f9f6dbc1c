// The seam between the worker's RPC layer and the optimizer (src/greater implements it). The worker owns
// transport, one-run-at-a-time, cancellation plumbing and event forwarding; the service owns everything
// about GReaTer, the run directory and its files.
import type {
  DatasetPreviewParams, DatasetPreviewResult, EvalPromptParams, EvalPromptResult, ExtractorCheckParams,
  ExtractorCheckResult, RunEvent, RunStartParams,
} from './protocol';

/**
 * Cancellation of one run. `soft` aborts first: finish the step in flight, write the checkpoint, emit
 * `done` with reason 'cancelled' and the best prompt so far. `hard` aborts too when the caller cannot
 * wait: stop at the next await (the last checkpoint stays valid, so the run is resumable).
 * Both signals' `reason` is the CancelMode string.
 */
export interface RunCancellation {
  readonly soft: AbortSignal;
  readonly hard: AbortSignal;
}

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
}

/** How the worker obtains the service: a loader, or why there is none. */
export type ServiceLoader = () => Promise<OptimizerService>;
