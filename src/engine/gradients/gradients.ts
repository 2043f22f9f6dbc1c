// Gradients through the gradient graphs: of a weighted cross-entropy with respect to input embeddings
// (GReaTer's candidate scores) and, for training, with respect to every weight.
import { EngineContext, fromNumbers } from '../engine-context';
import { UserError } from '../errors';
import type { ModelConfig } from '../model/config';
import { positionFeeds } from '../model/position-feeds';
import { FloatArray } from '../model/rope';
import { HostTensor } from '../runtime/session';
import { GradItem, GradResult } from '../types';
import { availableMemory } from '../weights/memory';

/**
 * Bytes one padded token of a gradient batch holds until the backward pass has gone past it: per layer, the
 * activations kept for the backward (about seven hidden-wide and three FFN-wide rows) and its rows of attention
 * scores and probabilities over the S-token sequence. Fitted to the peak resident set of single-sample gradients at
 * the Qwen2.5-0.5B shape: 2.4 and 3.7 MB per token at S = 300 and 600 (this gives 2.8 and 3.6).
 */
export function gradActivationBytes(config: ModelConfig, S: number, bytesPerElement: number): number {
  const { hiddenSize: H, intermediateSize: F, numLayers: L, numHeads: nh } = config;
  return L * (7 * H + 3 * F + 2 * nh * S) * bytesPerElement;
}

/**
 * What one gradient batch may hold in activations: a quarter of the free memory, within [256 MiB, 2 GiB]. The
 * CPU arena keeps the largest batch's memory for the session's life, so this is also what stays reserved.
 */
export function gradActivationBudget(available = availableMemory()): number {
  return Math.min(2 * 2 ** 30, Math.max(256 * 2 ** 20, available / 4));
}

/**
 * Consecutive runs of items whose padded batch stays within `budget` bytes of activations (at least one item
 * each). A 0.5B model over 9 samples of 500 tokens would otherwise hold about 10 GB at once.
 */
export function gradMicroBatches(config: ModelConfig, lengths: readonly number[], bytesPerElement: number, budget: number): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [], S = 0;
  lengths.forEach((len, i) => {
    const S2 = Math.max(S, len);
    if (cur.length && (cur.length + 1) * S2 * gradActivationBytes(config, S2, bytesPerElement) > budget) {
      groups.push(cur);
      cur = [];
      S = len;
    } else S = S2;
    cur.push(i);
  });
  if (cur.length) groups.push(cur);
  return groups;
}

/**
 * Loss = Σ_targets w·CE(logits[position] / temperature, id) per item, and its gradient with respect to
 * the input embedding rows x_p (before any model-specific scaling) at the requested positions.
 * Items are batched with right padding; items do not interact, so each gets its own gradient.
 */
export async function inputGradient(ctx: EngineContext, items: readonly GradItem[], budget = gradActivationBudget()): Promise<GradResult[]> {
  if (!items.length) return [];
  const bytes = ctx.dtype === 'float64' ? 8 : 4;
  const groups = gradMicroBatches(ctx.config, items.map((it) => it.ids.length), bytes, budget);
  if (groups.length === 1) return inputGradientBatch(ctx, items);
  const out: GradResult[] = new Array(items.length);
  for (const idx of groups) {
    const res = await inputGradientBatch(ctx, idx.map((i) => items[i]));
    idx.forEach((i, k) => (out[i] = res[k]));
  }
  return out;
}

async function inputGradientBatch(ctx: EngineContext, items: readonly GradItem[]): Promise<GradResult[]> {
  const { s, g } = await ctx.sessions.grad(false, false);
  const H = ctx.config.hiddenSize;
  const batch = packTargets(ctx, items);
  const { B, S } = batch;
  const table = ctx.sessions.weights.get('model.embed_tokens.weight')!;
  const embeds = ctx.make(B * S * H);
  const gRows: bigint[] = [];
  items.forEach((it, b) => {
    it.ids.forEach((id, j) => embeds.set(it.embeddingOverrides?.get(j) ?? table.subarray(id * H, (id + 1) * H), (b * S + j) * H));
    for (const p of it.gradPositions ?? [...it.ids.keys()]) {
      if (p < 0 || p >= it.ids.length) throw new UserError(`gradient position ${p} is outside the sequence (length ${it.ids.length})`);
      gRows.push(BigInt(b * S + p));
    }
  });
  const out = await s.run({
    ...ctx.sessions.weightFeeds(g.weightNames),
    ...batch.feeds(g.hasSlidingBias),
    inputs_embeds: { dtype: ctx.dtype, dims: [B, S, H], data: embeds },
    grad_rows: { dtype: 'int64', dims: [gRows.length], data: BigInt64Array.from(gRows) },
  }, ['nll', 'grad_embeds']);
  ctx.counters.forwardPasses += B;
  ctx.counters.backwardPasses += B;
  const grad = out.grad_embeds.data as FloatArray;
  let gi = 0;
  return batch.perItem(out.nll.data as FloatArray).map(({ loss, nll }, b) => {
    const grads: FloatArray[] = [];
    for (let k = 0; k < (items[b].gradPositions ?? items[b].ids).length; k++, gi++) grads.push(grad.slice(gi * H, (gi + 1) * H));
    return { loss, nll, grad: grads };
  });
}

/**
 * Training: the summed loss of all items (each as in inputGradient) and its gradient with respect to every
 * weight, keyed by HF tensor name (tied embeddings receive both the input and the head contributions).
 */
export async function weightGradient(ctx: EngineContext, items: readonly Pick<GradItem, 'ids' | 'targets'>[]): Promise<{ loss: number; perItem: number[]; grads: Map<string, FloatArray> }> {
  if (ctx.sessions.weightsMode === 'resident') throw new Error('weightGradient: load the model with weights: "inputs" to train it');
  const { s, g } = await ctx.sessions.grad(true, true);
  const batch = packTargets(ctx, items);
  const ids = new BigInt64Array(batch.B * batch.S);
  items.forEach((it, b) => it.ids.forEach((id, j) => (ids[b * batch.S + j] = BigInt(id))));
  const out = await s.run({
    ...ctx.sessions.weightFeeds(g.weightNames),
    ...batch.feeds(g.hasSlidingBias),
    input_ids: { dtype: 'int64', dims: [batch.B, batch.S], data: ids },
  });
  ctx.counters.forwardPasses += batch.B;
  ctx.counters.backwardPasses += batch.B;
  const perItem = batch.perItem(out.nll.data as FloatArray).map((r) => r.loss);
  const grads = new Map<string, FloatArray>();
  for (const n of g.weightNames) grads.set(n, out[`grad.w.${n}`].data as FloatArray);
  return { loss: perItem.reduce((a, b) => a + b, 0), perItem, grads };
}

/** Right-pads items into one batch and packs their targets; shared by both gradient graphs. */
function packTargets(ctx: EngineContext, items: readonly Pick<GradItem, 'ids' | 'targets'>[]) {
  const B = items.length;
  const S = Math.max(...items.map((it) => it.ids.length));
  if (S > ctx.config.maxPositions) throw new UserError(`a sequence of ${S} tokens exceeds the model's context window of ${ctx.config.maxPositions} tokens`);
  const pos = new Int32Array(B * S).fill(-1);
  const tRows: bigint[] = [], tIds: bigint[] = [], tScale: number[] = [], tWeight: number[] = [];
  items.forEach((it, b) => {
    ctx.checkIds(it.ids);
    if (!it.targets.length) throw new UserError(`gradient item ${b} has no targets`);
    it.ids.forEach((_, j) => (pos[b * S + j] = j));
    for (const t of it.targets) {
      if (t.position < 0 || t.position >= it.ids.length) throw new UserError(`target position ${t.position} is outside the sequence (length ${it.ids.length})`);
      ctx.checkIds([t.id]);
      tRows.push(BigInt(b * S + t.position));
      tIds.push(BigInt(t.id));
      tScale.push(1 / (t.temperature ?? 1));
      tWeight.push(t.weight ?? 1 / it.targets.length);
    }
  });
  const N = tRows.length;
  return {
    B, S,
    feeds: (hasSliding: boolean): Record<string, HostTensor> => ({
      ...positionFeeds(ctx, B, S, pos, new Int32Array(0), 0, hasSliding),
      target_rows: { dtype: 'int64', dims: [N], data: BigInt64Array.from(tRows) },
      target_ids: { dtype: 'int64', dims: [N, 1], data: BigInt64Array.from(tIds) },
      target_scale: { dtype: ctx.dtype, dims: [N, 1], data: fromNumbers(ctx.make, tScale) },
      target_weight: { dtype: ctx.dtype, dims: [N], data: fromNumbers(ctx.make, tWeight) },
    }),
    /** Splits the flat per-target NLL back into items: each item's weighted loss and its NLLs. */
    perItem: (nll: FloatArray): { loss: number; nll: number[] }[] => {
      let ti = 0;
      return items.map((it) => {
        const itemNll: number[] = [];
        let loss = 0;
        for (const t of it.targets) {
          itemNll.push(nll[ti]);
          loss += (t.weight ?? 1 / it.targets.length) * nll[ti];
          ti++;
        }
        return { loss, nll: itemNll };
      });
    },
  };
}
