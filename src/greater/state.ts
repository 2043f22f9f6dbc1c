// Optimizer state: a typed plain object with a schema version, everything needed to continue a run exactly
// (RNG state, position, control ids, the current reasoning and the score cache). Runtime-only things
// (model, layout, vocabulary, timers) live in OptimizerContext and are never serialised.
import { UserError } from '../engine';
import type { RngState } from './rng';
import type { ControlScore } from './scorer';

export const STATE_SCHEMA_VERSION = 1;

export interface TopEntry {
  ctrl: number[];
  prompt: string;
  score: number;
  accuracy: number;
  step: number;
  /** The model's perplexity of the prompt's own tokens over all training samples (exp of the selection fluency),
   *  where the score measured it; otherwise readability computes it after the run. */
  perplexity?: number;
}

export interface StepRecord {
  step: number;
  position: number;
  prompt: string;
  score: number;
  accuracy: number;
  candidates: number;
  evaluated: number;
  kept: boolean;
  counts: { forwardPasses: number; backwardPasses: number; generatedTokens: number };
  seconds: number;
}

export interface RunState {
  schemaVersion: number;
  /** Completed steps. */
  step: number;
  ctrl: number[];
  pos: number;
  /** Control length when the current sweep began (the "." exit needs pos ≥ initLen/2). */
  initLen: number;
  rng: RngState;
  /** Score of the current control, null until computed (start, after growth). */
  current: ControlScore | null;
  /** Reasoning of the current control per sample, null until computed. */
  reasonings: number[][] | null;
  /** Scores by control ids ("1,2,3"), kept across steps when crossStepCache (§13 item 4). */
  cache: [string, ControlScore][];
  top: TopEntry[];
  /** Consecutive steps that left the control unchanged. */
  unchanged: number;
  initial: TopEntry | null;
  history: StepRecord[];
  finished: null | 'completed' | 'early-stop' | 'converged' | 'plateau';
  elapsedSeconds: number;
}

export const ctrlKey = (ids: readonly number[]): string => ids.join(',');

function isIntArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => Number.isInteger(v));
}

/** Checks invariants of a loaded state; `file` names the checkpoint in errors. Migrations go here. */
export function checkState(raw: unknown, file: string, nSamples: number): RunState {
  const bad = (what: string) => new UserError(`${file}: damaged checkpoint: ${what} (delete it to restart the run from scratch)`);
  if (typeof raw !== 'object' || raw === null) throw bad('expected a JSON object');
  const s = raw as RunState;
  if (s.schemaVersion !== STATE_SCHEMA_VERSION) {
    throw new UserError(`${file}: checkpoint schema version ${String(s.schemaVersion)} is not supported (expected ${STATE_SCHEMA_VERSION}); it was written by another version of greater`);
  }
  if (!Number.isInteger(s.step) || s.step < 0) throw bad(`step ${String(s.step)}`);
  if (!isIntArray(s.ctrl) || s.ctrl.length === 0) throw bad('ctrl must be a non-empty list of token ids');
  if (!Number.isInteger(s.pos) || s.pos < 0 || s.pos >= s.ctrl.length) throw bad(`pos ${String(s.pos)} outside the control of ${s.ctrl.length} tokens`);
  if (s.reasonings !== null && (!Array.isArray(s.reasonings) || s.reasonings.length !== nSamples || !s.reasonings.every(isIntArray))) {
    throw bad(`reasonings must hold one id list per training sample (${nSamples})`);
  }
  if (s.current !== null && (!Array.isArray(s.current.mistakes) || s.current.mistakes.length !== nSamples)) {
    throw bad(`current score must have one entry per training sample (${nSamples})`);
  }
  if (!Array.isArray(s.cache) || !Array.isArray(s.top) || !Array.isArray(s.history)) throw bad('cache, top and history must be lists');
  return s;
}
