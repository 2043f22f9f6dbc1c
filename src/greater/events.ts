// What a run says about itself, owned by the optimizer: the event union it emits, its phases, pass counts,
// the run-folder contract (file names, workspace lock), the one pure fold of events into a run's state, and
// how a duration (ETA, estimate) reads.
// The CLI progress line, the worker, the extension's Runs view and the webview all read runs through
// `foldRunEvents`. Imports nothing, so every layer (the DOM-only webview included) can use it.

export type Phase = 'loading' | 'reasoning' | 'proposal' | 'gradient' | 'selection' | 'evaluation';
export const PHASES: readonly Phase[] = ['loading', 'reasoning', 'proposal', 'gradient', 'selection', 'evaluation'];

/** Model passes spent so far (the engine's counters, summed over the run). */
export interface PassCounts {
  forwardPasses: number;
  backwardPasses: number;
  generatedTokens: number;
}

/** One discriminated union, `kind` the discriminant; `<runDir>/events.jsonl` holds one per line. */
export type RunEvent =
  | { kind: 'run-started'; runId: string; runDir: string; totalSteps: number; initialPrompt: string; model: string; task: string }
  | { kind: 'phase'; step: number; phase: Phase; candidate?: { index: number; total: number }; etaSeconds?: number }
  | {
      kind: 'candidates'; step: number; position: number; promptTokens: string[];
      /** |gradient| per prompt token, aligned with promptTokens */
      heat: number[];
      candidates: { token: string; id: number; score: number }[];
    }
  | {
      kind: 'step'; step: number; totalSteps: number; position: number; prompt: string; promptTokens: string[];
      score: number; accuracy: number; bestScore: number; bestPrompt: string; etaSeconds: number; counts: PassCounts;
    }
  | {
      kind: 'evaluation'; role: 'initial' | 'best'; prompt: string; correct: number; total: number; accuracy: number;
      /** readability: the optimising model's perplexity of the prompt in place (greater/readability.ts) */
      perplexity?: number;
      /** the transfer target's model name (second model or endpoint); absent for the run's own model */
      transfer?: string;
    }
  | {
      kind: 'done'; reason: 'completed' | 'cancelled' | 'early-stop'; bestPrompt: string;
      initialAccuracy?: number; bestAccuracy?: number; reportPath?: string;
    }
  | { kind: 'error'; message: string; resumable: boolean }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type RunEventKind = RunEvent['kind'];
export type RunEventOf<K extends RunEventKind> = Extract<RunEvent, { kind: K }>;

// ---------------------------------------------------------------------------------------------------------
// Run folder: `<runsDir>/<run-id>/` holds these files (ARCHITECTURE "Run directory").

export const RUN_FILES = {
  run: 'run.json',
  events: 'events.jsonl',
  checkpoint: 'checkpoint.json',
  best: 'best.json',
  report: 'report.json',
  reportMd: 'report.md',
  /** Held by the process driving the run (CLI or VS Code worker): one driver per run folder. */
  lock: '.run.lock',
} as const;

/**
 * `<runsDir>/.active.lock`: JSON { pid, runId?, runDir? } written by the worker that owns the active run, so
 * a second window on the same workspace cannot start another run and the Runs view can tell "running".
 */
export const ACTIVE_LOCK_FILE = '.active.lock';
export interface ActiveLock {
  pid: number;
  /** The holder's parent when it took the lock: a holder whose parent is gone is on its way out (greater/lock.ts). */
  parentPid?: number;
  runId?: string;
  runDir?: string;
}

/** A duration as a person reads it (an ETA, an estimate): "40 s", "12 min", "1.5 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// ---------------------------------------------------------------------------------------------------------
// The fold

/** How many log lines a run's state keeps (the newest). */
export const KEPT_LOG_LINES = 50;

/** A run as its events describe it so far. */
export interface RunProgress {
  runId?: string;
  runDir?: string;
  model?: string;
  task?: string;
  /** the first run-started's prompt: a resumed run keeps the prompt it began with */
  initialPrompt?: string;
  totalSteps?: number;
  /** step of the last phase or step event */
  step: number;
  /** position of the last candidates event */
  position: number;
  /** the latest ETA from a phase or step event */
  etaSeconds?: number;
  phase?: RunEventOf<'phase'>;
  /** true after a step event until the next phase event: the step is finished */
  stepEnded: boolean;
  candidates?: RunEventOf<'candidates'>;
  last?: RunEventOf<'step'>;
  /** one point per step, ordered by step (a resumed step replaces its earlier point) */
  points: { step: number; score: number; accuracy: number }[];
  initialEval?: RunEventOf<'evaluation'>;
  bestEval?: RunEventOf<'evaluation'>;
  /** the same on the transfer target (`transfer` names it) */
  transferInitialEval?: RunEventOf<'evaluation'>;
  transferBestEval?: RunEventOf<'evaluation'>;
  /** the run's end; a later run-started (resume) clears it */
  done?: RunEventOf<'done'>;
  error?: RunEventOf<'error'>;
  logs: string[];
}

export function emptyRunProgress(): RunProgress {
  return { step: 0, position: 0, stepEnded: false, points: [], logs: [] };
}

/**
 * Pure: the state after one more event. Fields of a wider state S (a view's own fields) are carried over
 * unchanged; nothing is mutated, so an observer cannot change what another one sees.
 */
export function foldRunEvents<S extends RunProgress>(s: S, e: RunEvent): S {
  switch (e.kind) {
    case 'run-started':
      return {
        ...s, runId: e.runId, runDir: e.runDir, model: e.model, task: e.task, totalSteps: e.totalSteps,
        initialPrompt: s.initialPrompt ?? e.initialPrompt, done: undefined, error: undefined,
      };
    case 'phase':
      return { ...s, step: e.step, phase: e, stepEnded: false, etaSeconds: e.etaSeconds ?? s.etaSeconds };
    case 'candidates':
      return { ...s, position: e.position, candidates: e };
    case 'step':
      return {
        ...s, step: e.step, totalSteps: e.totalSteps, last: e, stepEnded: true, etaSeconds: e.etaSeconds,
        points: [...s.points.filter((p) => p.step !== e.step), { step: e.step, score: e.score, accuracy: e.accuracy }].sort((a, b) => a.step - b.step),
      };
    case 'evaluation':
      if (e.transfer !== undefined) return e.role === 'initial' ? { ...s, transferInitialEval: e } : { ...s, transferBestEval: e };
      return e.role === 'initial' ? { ...s, initialEval: e } : { ...s, bestEval: e };
    case 'done':
      return { ...s, done: e, error: undefined };
    case 'error':
      return { ...s, error: e, done: undefined };
    case 'log':
      return { ...s, logs: [...s.logs.slice(-(KEPT_LOG_LINES - 1)), `[${e.level}] ${e.message}`] };
  }
}

/** The fold over a whole event list. */
export function foldAllRunEvents(events: readonly RunEvent[]): RunProgress {
  return events.reduce<RunProgress>(foldRunEvents, emptyRunProgress());
}
