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
  /** Passed on to each generation call (the estimate's probe times decode steps with it). */
  onStep?: (step: number) => void;
}

/** Fixed chunks of sample indices: a sample is always generated with the same batch companions, so
 *  results do not depend on which subset is being scored (exact resume, successive halving). */
export function chunks(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < n; b += size) out.push(Array.from({ length: Math.min(size, n - b) }, (_, i) => b + i));
  return out;
}

export interface SampleResult {
  mistake: number;
  reasoning: number[];
  truncated: boolean;
  /** Σ −log p(fluency target j | before + ctrl[:j]) over this sample's control positions, and their count. */
  nllSum: number;
  nllCount: number;
}

/**
 * Reasoning + teacher-forced answer for the samples of the given chunks. The control's fluency NLL is read
 * from the same prefill pass (`promptScores`), so scoring costs no extra forward pass. `fluencyTargets` =
 * ctrl normally; the reference (faithful) scores the pre-edit control's tokens in the candidate's context
 * (§13 item 2).
 */
export async function generateAndScore(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], fluencyTargets: readonly number[], chunkList: readonly number[][], opts: ScoreOptions, check: () => void,
): Promise<Map<number, SampleResult>> {
  return (await generateAndScoreMany(m, layout, [{ ctrl, fluencyTargets }], chunkList, opts, check))[0];
}

/**
 * Several controls on the same samples, all of them in one generation batch per chunk (controls × samples rows):
 * a CPU decode step reads every weight once whatever the batch, so three candidates in one batch of 27 rows cost
 * about half of three batches of 9 (issue 17.6). The controls of a selection differ in one token, so each row is
 * padded and cached as it would be in its own batch.
 */
export async function generateAndScoreMany(
  m: ModelPort, layout: PromptLayout, controls: readonly { ctrl: readonly number[]; fluencyTargets: readonly number[] }[], chunkList: readonly number[][], opts: ScoreOptions, check: () => void,
): Promise<Map<number, SampleResult>[]> {
  const out = controls.map(() => new Map<number, SampleResult>());
  for (const idx of chunkList) {
    check();
    const samples = idx.map((i) => layout.samples[i]);
    const rows = controls.flatMap(({ ctrl, fluencyTargets }) => samples.map((s) => ({ s, ctrl, fluencyTargets })));
    const promptScores = rows.map(({ s, ctrl, fluencyTargets }) => ctrl.map((_, j) => ({ position: s.before.length + j - 1, id: fluencyTargets[j] })).filter((t) => t.position >= 0));
    const gens = await m.generate(rows.map(({ s, ctrl }) => layout.promptIds(s, ctrl)), {
      // Each sample's template + question is the same for every candidate: its keys/values are computed once (§11 item 3).
      maxNewTokens: opts.maxNewTokens, suffixes: rows.map(({ s }) => s.target), suffixScoredFrom: rows.map(({ s }) => s.answerStart), promptScores, prefixLengths: rows.map(({ s }) => s.before.length),
      ...(opts.stopIds ? { stopIds: opts.stopIds } : {}), ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
    gens.forEach((g, r) => {
      const { s } = rows[r];
      let wrong = 0;
      for (let j = s.answerStart; j < s.target.length; j++) if (g.suffix!.argmax[j] !== s.target[j]) wrong = 1;
      const lps = g.promptLogProbs ?? [];
      out[Math.floor(r / samples.length)].set(idx[r % samples.length], { mistake: wrong, reasoning: g.ids, truncated: g.finish === 'length', nllSum: -lps.reduce((a, b) => a + b, 0), nllCount: lps.length });
    });
  }
  return out;
}

export function combineScore(mistakes: readonly number[], fluency: number, selectionWeight: number): number {
  const m = mistakes.reduce((a, b) => a + b, 0) / mistakes.length;
  return m + selectionWeight * fluency;
}

/** Full evaluation of a control on every training sample; chunks whose samples all have `known` results (the
 *  estimate's probe made them with the same call) are not generated again. */
export async function scoreControl(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], fluencyTargets: readonly number[], opts: ScoreOptions, check: () => void,
  known?: ReadonlyMap<number, SampleResult>,
): Promise<ScoredControl> {
  const todo = chunks(layout.samples.length, opts.batchSize).filter((idx) => !known || !idx.every((i) => known.has(i)));
  const res = await generateAndScore(m, layout, ctrl, fluencyTargets, todo, opts, check);
  for (const [i, r] of known ?? []) if (!res.has(i)) res.set(i, r);
  return assemble(res, layout.samples.length, opts.selectionWeight);
}

export function assemble(res: Map<number, SampleResult>, n: number, w: number): ScoredControl {
  const mistakes: number[] = [];
  const reasonings: number[][] = [];
  let truncated = 0;
  let nll = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const r = res.get(i)!;
    mistakes.push(r.mistake);
    reasonings.push(r.reasoning);
    if (r.truncated) truncated++;
    nll += r.nllSum;
    count += r.nllCount;
  }
  const fluency = count ? nll / count : 0;
  return { mistakes, fluency, score: combineScore(mistakes, fluency, w), truncated, reasonings };
}

export function withoutReasonings(s: ScoredControl): ControlScore {
  return { mistakes: s.mistakes, fluency: s.fluency, score: s.score, truncated: s.truncated };
}
