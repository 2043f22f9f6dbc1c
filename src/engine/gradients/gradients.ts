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
import { KvCache, PrefixState } from '../decoding/kv-cache';
import { logSumExp } from '../decoding/log-probs';
import { pastFeeds } from '../decoding/forward-step';
import type { PrefixCache } from '../decoding/prefix-cache';

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
export async function inputGradient(ctx: EngineContext, prefixCache: PrefixCache | null, items: readonly GradItem[], budget = gradActivationBudget()): Promise<GradResult[]> {
  if (!items.length) return [];
  const bytes = ctx.dtype === 'float64' ? 8 : 4;
  const groups = gradMicroBatches(ctx.config, items.map((it) => it.ids.length), bytes, budget);
  if (groups.length === 1) return inputGradientBatch(ctx, prefixCache, items);
  const out: GradResult[] = new Array(items.length);
  for (const idx of groups) {
    const res = await inputGradientBatch(ctx, prefixCache, idx.map((i) => items[i]));
    idx.forEach((i, k) => (out[i] = res[k]));
  }
  return out;
}

/**
 * How many leading tokens of `it` can come from the prefix cache: at most its prefixLength, and never past a
 * gradient position, an embedding override or the row before a target (the prefix's own last row is read from
 * its stored logits).
 */
function usablePrefix(it: GradItem): number {
  let n = Math.max(0, Math.floor(it.prefixLength ?? 0));
  for (const p of it.gradPositions ?? [0]) n = Math.min(n, p);
  for (const p of it.embeddingOverrides?.keys() ?? []) n = Math.min(n, p);
  for (const t of it.targets) n = Math.min(n, t.position + 1);
  return n;
}

async function inputGradientBatch(ctx: EngineContext, prefixCache: PrefixCache | null, items: readonly GradItem[]): Promise<GradResult[]> {
  const { s, g } = await ctx.sessions.grad(false, false);
  const H = ctx.config.hiddenSize;
  for (const it of items) {
    for (const p of it.gradPositions ?? []) if (p < 0 || p >= it.ids.length) throw new UserError(`gradient position ${p} is outside the sequence (length ${it.ids.length})`);
  }
  // Prefixes are computed by the forward graph: only where it has the gradient graph's weights (not quantized).
  const usePrefix = prefixCache !== null && ctx.sessions.quantize === 'none' && items.some((it) => usablePrefix(it) > 0);
  const pre = usePrefix ? await prefixCache.statesFor(items.map((it) => it.ids), items.map(usablePrefix)) : null;
  const cache = pre ? new KvCache(items.length, Math.max(0, ...pre.map((p) => p.n)), ctx.config, ctx.make) : null;
  if (cache && pre) cache.setPrefixes(pre);
  const batch = packTargets(ctx, items, pre && cache ? { states: pre, cache } : undefined);
  const { B, S, skip } = batch;
  if (batch.targetsInGraph === 0) {
    // Every target sits on a cached prefix's last row: scored on the host, and nothing fed depends on it.
    return batch.perItem(ctx.make(0)).map(({ loss, nll }, b) => ({ loss, nll, grad: (items[b].gradPositions ?? items[b].ids).map(() => ctx.make(H)) }));
  }
  const table = ctx.sessions.weights.get('model.embed_tokens.weight')!;
  const embeds = ctx.make(B * S * H);
  const gRows: bigint[] = [];
  items.forEach((it, b) => {
    const n = skip[b];
    it.ids.forEach((id, j) => { if (j >= n) embeds.set(it.embeddingOverrides?.get(j) ?? table.subarray(id * H, (id + 1) * H), (b * S + j - n) * H); });
    for (const p of it.gradPositions ?? [...it.ids.keys()]) gRows.push(BigInt(b * S + p - n));
  });
  const out = await s.run({
    ...ctx.sessions.weightFeeds(g.weightNames),
    ...batch.feeds(g.hasSlidingBias),
    ...pastFeeds(ctx, B, cache),
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

/**
 * Right-pads items into one batch and packs their targets; shared by both gradient graphs. With a prefix cache,
 * item b's first skip[b] tokens are its past (their keys/values in `cache`) and a target on the prefix's last row
 * is scored on the host from the logits stored with the prefix (its gradient is zero: nothing fed depends on it).
 */
function packTargets(ctx: EngineContext, items: readonly Pick<GradItem, 'ids' | 'targets'>[], prefix?: { states: readonly PrefixState[]; cache: KvCache }) {
  const skip = items.map((_, b) => prefix?.states[b].n ?? 0);
  const cache = prefix?.cache;
  const B = items.length;
  const whole = Math.max(...items.map((it) => it.ids.length));
  if (whole > ctx.config.maxPositions) throw new UserError(`a sequence of ${whole} tokens exceeds the model's context window of ${ctx.config.maxPositions} tokens`);
  const S = Math.max(...items.map((it, b) => it.ids.length - skip[b]));
  const pos = new Int32Array(B * S).fill(-1);
  const tRows: bigint[] = [], tIds: bigint[] = [], tScale: number[] = [], tWeight: number[] = [];
  /** Per item and target: its index in the graph's nll output, or the NLL computed on the host. */
  const slots: ({ row: number } | { nll: number })[][] = [];
  items.forEach((it, b) => {
    ctx.checkIds(it.ids);
    if (!it.targets.length) throw new UserError(`gradient item ${b} has no targets`);
    const n = skip[b];
    for (let j = n; j < it.ids.length; j++) pos[b * S + j - n] = j;
    slots.push(it.targets.map((t) => {
      if (t.position < 0 || t.position >= it.ids.length) throw new UserError(`target position ${t.position} is outside the sequence (length ${it.ids.length})`);
      ctx.checkIds([t.id]);
      const scale = 1 / (t.temperature ?? 1);
      if (t.position < n) return { nll: prefixNll(prefix!.states[b].lastLogits, t.id, scale) };
      tRows.push(BigInt(b * S + t.position - n));
      tIds.push(BigInt(t.id));
      tScale.push(scale);
      tWeight.push(t.weight ?? 1 / it.targets.length);
      return { row: tRows.length - 1 };
    }));
  });
  const N = tRows.length;
  const P = cache?.pastLength ?? 0;
  return {
    B, S, skip, targetsInGraph: N,
    feeds: (hasSliding: boolean): Record<string, HostTensor> => ({
      ...positionFeeds(ctx, B, S, pos, P ? cache!.pos : new Int32Array(0), P, hasSliding),
      target_rows: { dtype: 'int64', dims: [N], data: BigInt64Array.from(tRows) },
      target_ids: { dtype: 'int64', dims: [N, 1], data: BigInt64Array.from(tIds) },
      target_scale: { dtype: ctx.dtype, dims: [N, 1], data: fromNumbers(ctx.make, tScale) },
      target_weight: { dtype: ctx.dtype, dims: [N], data: fromNumbers(ctx.make, tWeight) },
    }),
    /** Splits the flat per-target NLL back into items: each item's weighted loss and its NLLs. */
    perItem: (nll: FloatArray): { loss: number; nll: number[] }[] => items.map((it, b) => {
      const itemNll = slots[b].map((sl) => ('row' in sl ? nll[sl.row] : sl.nll));
      const loss = it.targets.reduce((a, t, k) => a + (t.weight ?? 1 / it.targets.length) * itemNll[k], 0);
      return { loss, nll: itemNll };
    }),
  };
}

/** −log softmax(z / T)[id] of the logits stored with a prefix (the row its last token predicts from). */
function prefixNll(z: FloatArray, id: number, scale: number): number {
  const scaled = Float64Array.from(z, (x) => x * scale);
  return logSumExp(scaled, 0, scaled.length) - scaled[id];
}
