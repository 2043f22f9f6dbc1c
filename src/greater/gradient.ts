// Gradient over reasoning (ALGORITHM §6, loss §4a). Per sample the sequence is prompt + the current
// reasoning + target; the loss is CE(answer logits / T) + w · mean NLL of the control tokens, and its
// gradient g_i = ∂L/∂x at the control positions comes from one backward pass. A candidate c at position
// pos scores E[c] · Σ_i g_i[pos] — the one-hot gradient of the reference, for any candidate set.
import type { FloatArray, GradItem, ModelPort } from './model';
import type { PromptLayout, SampleLayout } from './layout';

export interface GradientOptions {
  answerTemperature: number;
  controlWeight: number;
  batchSize: number;
}

export interface GradientResult {
  /** Σ_i g_i for every control position (hidden-size vectors). */
  sum: FloatArray[];
  /** Mean gradient loss over samples (for logs). */
  loss: number;
}

/** The §4a loss as engine targets: answer tokens at temperature T, control tokens weighted w / L. */
export function gradItem(s: SampleLayout, ctrl: readonly number[], reasoning: readonly number[], opts: GradientOptions, layout: PromptLayout): GradItem {
  const prompt = layout.promptIds(s, ctrl);
  const ids = [...prompt, ...reasoning, ...s.target];
  const tStart = prompt.length + reasoning.length;
  const nAns = s.target.length - s.answerStart;
  const targets = [];
  for (let j = s.answerStart; j < s.target.length; j++) {
    targets.push({ position: tStart + j - 1, id: s.target[j], weight: 1 / nAns, temperature: opts.answerTemperature });
  }
  const cs = s.before.length;
  if (opts.controlWeight > 0) {
    for (let j = 0; j < ctrl.length; j++) {
      if (cs + j - 1 < 0) continue;
      targets.push({ position: cs + j - 1, id: ctrl[j], weight: opts.controlWeight / ctrl.length });
    }
  }
  // The template + question come from the prefix cache (the reasoning pass put them there): not run again.
  return { ids, targets, gradPositions: ctrl.map((_, j) => cs + j), prefixLength: cs };
}

export async function controlGradient(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], reasonings: readonly (readonly number[])[], opts: GradientOptions, check: () => void,
): Promise<GradientResult> {
  const H = m.config.hiddenSize;
  const sum = ctrl.map(() => new Float64Array(H));
  let loss = 0;
  const items = layout.samples.map((s, i) => gradItem(s, ctrl, reasonings[i], opts, layout));
  for (let b = 0; b < items.length; b += opts.batchSize) {
    check();
    const res = await m.inputGradient(items.slice(b, b + opts.batchSize));
    for (const r of res) {
      loss += r.loss;
      r.grad.forEach((g, j) => { for (let h = 0; h < H; h++) sum[j][h] += g[h]; });
    }
  }
  return { sum, loss: loss / items.length };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** E[c] · g for each candidate, scaled by 1/‖g‖ (the reference's normalisation; ranking unchanged). */
export function candidateScores(m: ModelPort, candidates: readonly number[], g: FloatArray): number[] {
  const norm = Math.sqrt(dot(g, g)) || 1;
  return candidates.map((c) => dot(m.embeddingRow(c), g) / norm);
}

/** Candidates ordered by score, most negative first (ties: lower id). */
export function rankCandidates(candidates: readonly number[], scores: readonly number[]): { id: number; score: number }[] {
  return candidates.map((id, i) => ({ id, score: scores[i] })).sort((a, b) => a.score - b.score || a.id - b.id);
}

/** |Σ g| per control position, for the heat map. */
export function heat(sum: readonly FloatArray[]): number[] {
  return sum.map((g) => Math.sqrt(dot(g, g)));
}
