// Selection score of one control on the training samples (ALGORITHM §4b, §3): greedy reasoning per
// sample, with extractor + gold answer teacher-forced through the same KV cache (§11 item 2, §13 item 8);
// a sample is a mistake if any answer token is not the argmax (§13 item 10: per answer, as the reference).
// score = mistakes/N + (controlWeight/10) · mean control NLL (§13 item 2: of the candidate's own tokens).
import type { ModelPort } from './model';
import type { PromptLayout } from './layout';

export interface ControlScore {
  /** Per training sample: 1 = wrong answer. */
  mistakes: number[];
  /** Mean −log p(control token | prefix) over samples and control positions. */
  fluency: number;
  score: number;
  /** Samples whose reasoning hit the token budget (still scored, §13 item 9). */
  truncated: number;
}

export interface ScoredControl extends ControlScore {
  /** Generated reasoning ids per sample (stop token excluded). */
  reasonings: number[][];
}

export interface ScoreOptions {
  batchSize: number;
  maxNewTokens: number;
  selectionWeight: number;
  stopIds?: readonly number[];
}

/** Fixed chunks of sample indices: a sample is always generated with the same batch companions, so
 *  results do not depend on which subset is being scored (exact resume, successive halving). */
export function chunks(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < n; b += size) out.push(Array.from({ length: Math.min(size, n - b) }, (_, i) => b + i));
  return out;
}

/** Reasoning + teacher-forced answer for the samples of the given chunks. */
export async function generateAndScore(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], chunkList: readonly number[][], opts: ScoreOptions, check: () => void,
): Promise<Map<number, { mistake: number; reasoning: number[]; truncated: boolean }>> {
  const out = new Map<number, { mistake: number; reasoning: number[]; truncated: boolean }>();
  for (const idx of chunkList) {
    check();
    const samples = idx.map((i) => layout.samples[i]);
    const gens = await m.generate(samples.map((s) => layout.promptIds(s, ctrl)), {
      maxNewTokens: opts.maxNewTokens, suffixes: samples.map((s) => s.target), ...(opts.stopIds ? { stopIds: opts.stopIds } : {}),
    });
    gens.forEach((g, k) => {
      const s = samples[k];
      let wrong = 0;
      for (let j = s.answerStart; j < s.target.length; j++) if (g.suffix!.argmax[j] !== s.target[j]) wrong = 1;
      out.set(idx[k], { mistake: wrong, reasoning: g.ids, truncated: g.finish === 'length' });
    });
  }
  return out;
}

/**
 * Mean −log p(targets[j] | before + ctrl[:j]) over samples and positions. targets = ctrl normally; the
 * reference (faithful) scores the pre-edit control's tokens against the candidate's context (§13 item 2).
 */
export async function controlFluency(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], targets: readonly number[], batchSize: number, check: () => void,
): Promise<number> {
  const V = m.config.vocabSize;
  let total = 0;
  let count = 0;
  for (const idx of chunks(layout.samples.length, batchSize)) {
    check();
    const seqs = idx.map((i) => [...layout.samples[i].before, ...ctrl]);
    const positions = idx.map((i) => ctrl.map((_, j) => layout.samples[i].before.length + j - 1).filter((p) => p >= 0));
    const rows = await m.nextTokenLogProbs(seqs, positions);
    rows.forEach((r, k) => {
      const first = ctrl.length - positions[k].length; // 1 when the control starts the sequence
      positions[k].forEach((_, q) => { total -= r[q * V + targets[first + q]]; count++; });
    });
  }
  return count ? total / count : 0;
}

export function combineScore(mistakes: readonly number[], fluency: number, selectionWeight: number): number {
  const m = mistakes.reduce((a, b) => a + b, 0) / mistakes.length;
  return m + selectionWeight * fluency;
}

/** Full evaluation of a control on every training sample. */
export async function scoreControl(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], fluencyTargets: readonly number[], opts: ScoreOptions, check: () => void,
): Promise<ScoredControl> {
  const fluency = await controlFluency(m, layout, ctrl, fluencyTargets, opts.batchSize, check);
  const res = await generateAndScore(m, layout, ctrl, chunks(layout.samples.length, opts.batchSize), opts, check);
  return assemble(res, layout.samples.length, fluency, opts.selectionWeight);
}

export function assemble(res: Map<number, { mistake: number; reasoning: number[]; truncated: boolean }>, n: number, fluency: number, w: number): ScoredControl {
  const mistakes: number[] = [];
  const reasonings: number[][] = [];
  let truncated = 0;
  for (let i = 0; i < n; i++) {
    const r = res.get(i)!;
    mistakes.push(r.mistake);
    reasonings.push(r.reasoning);
    if (r.truncated) truncated++;
  }
  return { mistakes, fluency, score: combineScore(mistakes, fluency, w), truncated, reasonings };
}

export function withoutReasonings(s: ScoredControl): ControlScore {
  return { mistakes: s.mistakes, fluency: s.fluency, score: s.score, truncated: s.truncated };
}
