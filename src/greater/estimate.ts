// A run's time, measured before it starts (issue 17.4): the actual model on the actual device runs one batch of
// each kind of work GReaTer does (reasoning generation + scoring, the proposal forward, the input gradient) for a
// few seconds, and the cost model of ALGORITHM §11 extrapolates from there. Name-based guesses were off by 5×.
import type { GreaterConfig } from './config';
import { formatDuration } from './events';
import { controlGradient } from './gradient';
import { generationBudget, type PromptLayout } from './layout';
import type { ModelPort } from './model';
import { proposalRows } from './proposal';
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

/**
 * Times one batch of each kind of work. The reasoning probe is time-boxed (`boxSeconds` of decoding): a batch whose
 * reasoning is still running at the box is assumed to run to the full budget, which is what random-weight models
 * and rambling ones do.
 */
export async function measureCosts(m: ModelPort, layout: PromptLayout, cfg: GreaterConfig, file: string, boxSeconds = 3): Promise<MeasuredCosts> {
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
  /** One batch's reasoning and scoring; the decode steps' times come from inside the call (one generation gives the
   *  per-step slope). */
  const gen = async (maxNewTokens: number) => {
    const { seconds, value } = await timed(async () => {
      const stamps: number[] = [];
      const t = now();
      const r = await generateAndScore(m, sub, ctrl, ctrl, all, { batchSize: batch, maxNewTokens, selectionWeight: cfg.controlWeight / 10, onStep: () => stamps.push(now()) }, none);
      // stamps[i] follows the i-th decode step's forward (stamps[0] the prefill's); the first decode step is left out
      const from = stamps.length > 2 ? 1 : 0;
      const stepSeconds = stamps.length > 1 ? (stamps[stamps.length - 1] - stamps[from]) / (stamps.length - 1 - from) : (now() - t) / Math.max(1, stamps.length);
      return { stepSeconds, results: [...r.values()] };
    });
    const rs = value.results;
    return { seconds, stepSeconds: value.stepSeconds, results: rs, steps: Math.max(...rs.map((v) => v.reasoning.length + (v.truncated ? 0 : 1))), truncated: rs.some((v) => v.truncated) };
  };

  // Warm-up, untimed: each sample's template + question goes into the prefix cache (the run reuses it) and each
  // session's first call creates it (seconds at real scale, once per run, not per step). Both calls are as small
  // as they can be: a prefill of one token after the prefixes, and a gradient through two tokens.
  await m.generate(sub.samples.map((s) => sub.promptIds(s, ctrl).slice(0, s.before.length + 1)), { maxNewTokens: 1, stopIds: [], prefixLengths: sub.samples.map((s) => s.before.length) });
  const two = sub.promptIds(sub.samples[0], ctrl).slice(0, 2);
  if (two.length === 2) await m.inputGradient([{ ids: two, targets: [{ position: 0, id: two[1] }], gradPositions: [0] }]);
  const gradOpts = { answerTemperature: cfg.answerTemperature, controlWeight: cfg.controlWeight, batchSize: batch };

  // One generation as long as 16 steps gives the per-step cost; it is the evaluation itself when reasoning ends on
  // its own, and otherwise the base of the extrapolation to the budget. A longer one only where the box allows at
  // least twice the steps: one of 17 after 16 (a 0.5B model on a CPU) would add a generation to learn nothing new.
  let b = await gen(Math.min(16, budget));
  let decodeStepSeconds = b.stepSeconds;
  const boxed = Math.min(budget, Math.floor(boxSeconds / Math.max(decodeStepSeconds, 1e-6)));
  if (b.truncated && b.steps < budget && boxed >= 2 * b.steps) {
    b = await gen(boxed);
    decodeStepSeconds = b.stepSeconds;
  }
  const reasoningSteps = b.truncated ? budget : b.steps;
  const evalBatchSeconds = b.seconds + decodeStepSeconds * (reasoningSteps - b.steps);

  // The gradient runs over prompt + reasoning + target: give it reasoning of the length the run will see.
  const reasonings = b.results.map((v) => {
    const r = v.reasoning.length ? v.reasoning : ctrl;
    return Array.from({ length: v.truncated ? budget : v.reasoning.length }, (_, i) => r[i % r.length]);
  });
  const proposal = await timed(() => proposalRows(m, sub, ctrl, ctrl.length - 1, batch, none));
  // The engine runs gradients in memory-bounded micro-batches, so their cost grows with the samples: one is timed
  // and scaled (a whole batch at a 0.5B model is half a minute of the probe).
  const gradient = await timed(() => controlGradient(m, { ...sub, samples: sub.samples.slice(0, 1) }, ctrl, reasonings.slice(0, 1), gradOpts, none));
  return {
    batch, evalBatchSeconds, decodeStepSeconds, reasoningSteps, proposalSeconds: proposal.seconds, gradientSeconds: gradient.seconds * batch, probeSeconds: now() - t0,
  };
}

/** ALGORITHM §11 with our savings: reasoning reused across steps, K = keepForSelection candidates evaluated per step. */
export function extrapolate(c: MeasuredCosts, cfg: GreaterConfig, trainSize: number, heldOutSize: number): RunEstimate {
  const batches = (n: number) => Math.ceil(n / c.batch);
  const evalBatch = c.evalBatchSeconds;
  const nb = batches(trainSize);
  const reasoning = nb * evalBatch;
  const stepSeconds = nb * (c.proposalSeconds + (cfg.candidateRanking === 'gradient' ? c.gradientSeconds : 0)) +
    cfg.keepForSelection * reasoning + (cfg.reuseReasoning ? 0 : reasoning);
  const evaluationSeconds = (1 + cfg.evaluateTop) * batches(heldOutSize) * evalBatch;
  return {
    costs: c, startSeconds: reasoning, stepSeconds, evaluationSeconds,
    totalSeconds: reasoning + cfg.steps * stepSeconds + evaluationSeconds,
  };
}

/** Steps cheaper than this are timed for real (one scratch step) as well: their host-side work (proposal over the
 *  vocabulary, round-trip checks, checkpoint) is not in the model probe and can be most of a small model's step. */
export const SCRATCH_STEP_BELOW_SECONDS = 5;

/** The estimate with its step cost replaced by a measured scratch step (which included the start reasoning). */
export function withMeasuredStep(e: RunEstimate, cfg: GreaterConfig, firstStepSeconds: number): RunEstimate {
  const stepSeconds = Math.max(e.stepSeconds, firstStepSeconds - e.startSeconds);
  return {
    ...e, costs: { ...e.costs, probeSeconds: e.costs.probeSeconds + firstStepSeconds }, stepSeconds,
    totalSeconds: e.startSeconds + cfg.steps * stepSeconds + e.evaluationSeconds,
  };
}

export function describeEstimate(e: RunEstimate, steps: number): string {
  const c = e.costs;
  return `estimate: about ${formatDuration(e.totalSeconds)} for ${steps} steps (${formatDuration(e.stepSeconds)} per step; ` +
    `a plateau stop ends sooner), measured here in ${c.probeSeconds.toFixed(1)} s: ` +
    `${(1000 * c.decodeStepSeconds).toFixed(1)} ms per decode step at batch ${c.batch}, reasoning ≈ ${c.reasoningSteps} tokens, ` +
    `gradient ${(1000 * c.gradientSeconds / c.batch).toFixed(0)} ms per sample`;
}
