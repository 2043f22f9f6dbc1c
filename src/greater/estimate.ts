// A run's time, measured before it starts (issue 17.4): the actual model on the actual device runs one batch of
// each kind of work GReaTer does (reasoning generation + scoring, the proposal forward, the input gradient) for a
// few seconds, and the cost model of ALGORITHM §11 extrapolates from there. Name-based guesses were off by 5×.
import type { GreaterConfig } from './config';
import { formatDuration } from './events';
import { controlGradient } from './gradient';
import { generationBudget, type PromptLayout, type SampleLayout } from './layout';
import type { ModelPort } from './model';
import { candidatesBatchFits, type StartReasoning } from './optimizer';
import { generateAndScore } from './scorer';

export interface MeasuredCosts {
  /** Samples per call (the run's batch size). */
  batch: number;
  /** One batch's reasoning generation and scoring, as a run's selection does it. */
  evalBatchSeconds: number;
  /** One decode step of a whole batch (from two generation lengths). */
  decodeStepSeconds: number;
  /** Decode steps of the probe batch: its longest reasoning, or the budget if one ran to it. */
  reasoningSteps: number;
  proposalSeconds: number;
  gradientSeconds: number;
  /** Seconds the probe itself took. */
  probeSeconds: number;
  /** Where a step's candidates are generated together (candidates × samples rows per batch, optimizer.ts): one such
   *  batch, and one of its decode steps. */
  candidates?: { batchSeconds: number; stepSeconds: number };
}

export interface RunEstimate {
  costs: MeasuredCosts;
  /** Before step 1: the starting prompt's reasoning on every training sample. */
  startSeconds: number;
  stepSeconds: number;
  /** Held-out evaluation of the initial and the best prompt(s). */
  evaluationSeconds: number;
  /** All configured steps; a plateau or convergence stop ends sooner. */
  totalSeconds: number;
}

const now = () => performance.now() / 1000;

/** What the probe measured, and the starting prompt's reasoning on the first batch when it ran to its end (the run
 *  then does not generate it again). */
export interface Probe {
  costs: MeasuredCosts;
  startReasoning: StartReasoning | null;
}

/** Decode steps every probe generation runs before it may stop: the per-step slope needs a few. */
const MIN_PROBE_STEPS = 16;

/** A probe generation whose remaining steps are projected to take at most this long runs to its end: its reasoning
 *  is the run's own first batch, so finishing costs nothing the run would not spend anyway. */
export const FINISH_PROBE_SECONDS = 15;

class ProbeBoxed extends Error {}

/**
 * Times one batch of each kind of work. The reasoning probe is the starting prompt's generation for the run's first
 * batch with the run's budget: it runs to its end when that is near (and the run reuses it), and stops once
 * `boxSeconds` of decoding are behind it otherwise; a batch still running then is assumed to run to the full budget,
 * which is what random-weight models and rambling ones do.
 */
export async function measureCosts(m: ModelPort, layout: PromptLayout, cfg: GreaterConfig, file: string, boxSeconds = 3, finishSeconds = FINISH_PROBE_SECONDS): Promise<Probe> {
  const t0 = now();
  const batch = Math.min(cfg.batchSize, layout.samples.length);
  const sub: PromptLayout = { ...layout, samples: layout.samples.slice(0, batch) };
  const ctrl = layout.encodeControl(cfg.initialPrompt);
  const budget = generationBudget(layout, ctrl.length, cfg.maxNewTokens, m.config.maxPositions, file);
  const all = [Array.from({ length: batch }, (_, i) => i)];
  const none = () => {};
  /** Fast calls are timed twice and the quicker kept (with its value): the first pays for allocations, and this
   *  machine is shared. */
  const timed = async <T>(f: () => Promise<T>): Promise<{ seconds: number; value: T }> => {
    let best: { seconds: number; value: T } | null = null;
    for (let k = 0; k < 2 && (!best || best.seconds < 1); k++) {
      const t = now();
      const value = await f();
      const seconds = now() - t;
      if (!best || seconds < best.seconds) best = { seconds, value };
    }
    return best!;
  };
  /** The first batch's reasoning and scoring, as step 1 runs it; the decode steps' times come from inside the call
   *  (stamps[i] follows the i-th decode step's forward, stamps[0] the prefill's). */
  const gen = async () => {
    const stamps: number[] = [];
    const t = now();
    const slope = () => {
      const from = stamps.length > 2 ? 1 : 0; // the first decode step pays for allocations
      return stamps.length > 1 ? (stamps[stamps.length - 1] - stamps[from]) / (stamps.length - 1 - from) : (now() - t) / Math.max(1, stamps.length);
    };
    const onStep = (k: number) => {
      stamps.push(now());
      if (k < MIN_PROBE_STEPS || now() - stamps[0] < boxSeconds) return;
      if ((budget - k) * slope() > finishSeconds) throw new ProbeBoxed();
    };
    const opts = { batchSize: batch, maxNewTokens: budget, selectionWeight: cfg.controlWeight / 10, onStep };
    try {
      const r = await generateAndScore(m, sub, ctrl, ctrl, all, opts, none);
      const rs = [...r.values()];
      const suffixSeconds = now() - stamps[stamps.length - 1];
      return { seconds: now() - t, prefillSeconds: stamps[0] - t, suffixSeconds, stepSeconds: slope(), results: r, steps: Math.max(...rs.map((v) => v.reasoning.length + (v.truncated ? 0 : 1))), truncated: rs.some((v) => v.truncated) };
    } catch (e) {
      if (!(e instanceof ProbeBoxed)) throw e;
      return { seconds: now() - t, prefillSeconds: stamps[0] - t, suffixSeconds: null, stepSeconds: slope(), results: null, steps: stamps.length - 1, truncated: true };
    }
  };

  // Warm-up, untimed: each sample's template + question goes into the prefix cache (the run reuses it) and each
  // session's first call creates it (seconds at real scale, once per run, not per step). Both calls are as small
  // as they can be: a prefill of one token after the prefixes, and a gradient through two tokens.
  await m.generate(sub.samples.map((s) => sub.promptIds(s, ctrl).slice(0, s.before.length + 1)), { maxNewTokens: 1, stopIds: [], prefixLengths: sub.samples.map((s) => s.before.length) });
  const two = sub.promptIds(sub.samples[0], ctrl).slice(0, 2);
  if (two.length === 2) await m.inputGradient([{ ids: two, targets: [{ position: 0, id: two[1] }], gradPositions: [0] }]);
  const gradOpts = { answerTemperature: cfg.answerTemperature, controlWeight: cfg.controlWeight, batchSize: batch };

  const b = await gen();
  const reasoningSteps = b.truncated ? budget : b.steps;
  // Prefill and the suffix pass are compute: priced per token from the prefill (the suffix is measured where the
  // generation ran to its end).
  const tokensAfterPrefix = (s: SampleLayout) => sub.promptIds(s, ctrl).length - s.before.length;
  const perToken = b.prefillSeconds / Math.max(1, sub.samples.reduce((a, s) => a + tokensAfterPrefix(s), 0));
  const suffixSeconds = b.suffixSeconds ?? perToken * sub.samples.reduce((a, s) => a + s.target.length, 0);
  const evalBatchSeconds = b.seconds + b.stepSeconds * (reasoningSteps - b.steps) + (b.suffixSeconds === null ? suffixSeconds : 0);
  // Candidates generated together: K times the rows' prefill and suffix, and decode steps that cost the batch's step
  // plus each extra row's share of compute (a decode step reads every weight once whatever the rows).
  const K = cfg.keepForSelection;
  let candidates: MeasuredCosts['candidates'];
  if (cfg.batchCandidates && !cfg.halving && K > 1 && candidatesBatchFits(m, layout, ctrl, K, batch, budget)) {
    const stepSeconds = b.stepSeconds + (K - 1) * batch * perToken;
    candidates = { batchSeconds: K * (b.prefillSeconds + suffixSeconds) + reasoningSteps * stepSeconds, stepSeconds };
  }

  // A proposal is one forward over the prompt up to its position, after the cached question: on average half the
  // control, the part of the prefill it shares (what follows the control is the rest of the prefill).
  const s0 = sub.samples[0];
  const proposalSeconds = b.prefillSeconds * Math.min(1, (ctrl.length / 2) / Math.max(1, tokensAfterPrefix(s0)));
  // The gradient runs over prompt + reasoning + target: give it reasoning of the length the run will see.
  const first = b.results?.get(0);
  const r = first?.reasoning.length ? first.reasoning : ctrl;
  const reasoning = Array.from({ length: first && !first.truncated ? first.reasoning.length : budget }, (_, i) => r[i % r.length]);
  // The engine runs gradients in memory-bounded micro-batches, so their cost grows with the samples: one is timed
  // and scaled (a whole batch at a 0.5B model is half a minute of the probe).
  const gradient = await timed(() => controlGradient(m, { ...sub, samples: [s0] }, ctrl, [reasoning], gradOpts, none));
  return {
    costs: { batch, evalBatchSeconds, decodeStepSeconds: b.stepSeconds, reasoningSteps, proposalSeconds, gradientSeconds: gradient.seconds * batch, probeSeconds: now() - t0, ...(candidates ? { candidates } : {}) },
    startReasoning: b.results ? { ctrl, maxNewTokens: budget, batchSize: cfg.batchSize, results: b.results } : null,
  };
}

/** ALGORITHM §11 with our savings: reasoning reused across steps, K = keepForSelection candidates evaluated per step. */
export function extrapolate(c: MeasuredCosts, cfg: GreaterConfig, trainSize: number, heldOutSize: number, startBatchesDone = 0): RunEstimate {
  const batches = (n: number) => Math.ceil(n / c.batch);
  const evalBatch = c.evalBatchSeconds;
  const nb = batches(trainSize);
  const reasoning = nb * evalBatch;
  // Proposals and gradients cost per sample (a short last batch is cheaper); a generation batch costs about the same
  // with fewer rows (decoding reads every weight whatever the batch), so it is priced whole.
  const stepSeconds = (trainSize / c.batch) * (c.proposalSeconds + (cfg.candidateRanking === 'gradient' ? c.gradientSeconds : 0)) +
    (c.candidates ? nb * c.candidates.batchSeconds : cfg.keepForSelection * reasoning) + (cfg.reuseReasoning ? 0 : reasoning);
  const evaluationSeconds = (1 + cfg.evaluateTop) * batches(heldOutSize) * evalBatch;
  // The start reasoning the probe already generated (its first batch) is not ahead any more.
  const startSeconds = Math.max(0, nb - startBatchesDone) * evalBatch;
  return {
    costs: c, startSeconds, stepSeconds, evaluationSeconds,
    totalSeconds: startSeconds + cfg.steps * stepSeconds + evaluationSeconds,
  };
}

/** Steps cheaper than this are timed for real (two scratch steps) as well: their host-side work (proposal over the
 *  vocabulary, round-trip checks, checkpoint) is not in the model probe and can be most of a small model's step. */
export const SCRATCH_STEP_BELOW_SECONDS = 5;

/**
 * The estimate with its step cost replaced by scratch steps: the first includes the start reasoning and its calls'
 * first allocations, so the second, where there is one, is the step cost; otherwise the first less the start
 * reasoning, and never below the model's price.
 */
export function withMeasuredSteps(e: RunEstimate, cfg: GreaterConfig, stepSeconds: readonly number[]): RunEstimate {
  const step = stepSeconds.length > 1 ? stepSeconds[1] : Math.max(e.stepSeconds, (stepSeconds[0] ?? 0) - e.startSeconds);
  return {
    ...e, costs: { ...e.costs, probeSeconds: e.costs.probeSeconds + stepSeconds.reduce((a, b) => a + b, 0) }, stepSeconds: step,
    totalSeconds: e.startSeconds + cfg.steps * step + e.evaluationSeconds,
  };
}

export function describeEstimate(e: RunEstimate, steps: number): string {
  const c = e.costs;
  return `estimate: about ${formatDuration(e.totalSeconds)} for ${steps} steps (${formatDuration(e.stepSeconds)} per step; ` +
    `a plateau stop ends sooner), measured here in ${c.probeSeconds.toFixed(1)} s: ` +
    `${(1000 * c.decodeStepSeconds).toFixed(1)} ms per decode step at batch ${c.batch}, reasoning ≈ ${c.reasoningSteps} tokens, ` +
    `gradient ${(1000 * c.gradientSeconds / c.batch).toFixed(0)} ms per sample`;
}
