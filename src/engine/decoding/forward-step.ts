// One forward pass over new tokens [B,S] on top of a KV cache (may be empty): at chosen rows, the greedy
// token and the log-probability of a chosen token (computed in the graph), the full logits only on request,
// and the new keys/values.
import * as ort from 'onnxruntime-node';
import { EngineContext } from '../engine-context';
import { positionFeeds } from '../model/position-feeds';
import { FloatArray } from '../model/rope';
import { HostTensor } from '../runtime/session';
import { DecodeCache, DeviceKvCache, PresentTensors } from './kv-cache';

export interface StepRows {
  /** Flattened [B·S] rows whose results are wanted. */
  rows: readonly number[];
  /** Per row, the token whose log-probability to return (default 0: ignored). */
  scoreIds?: readonly number[];
  /** Also return the [rows × vocab] logits (a large copy to the host). */
  logits?: boolean;
  /** Also return the new keys/values (present_*) for a cache. */
  present?: boolean;
}

export interface StepResult {
  /** Per row: argmax of its logits. */
  nextIds: number[];
  /** Per row: log p(scoreIds[r]). */
  scores: FloatArray;
  logits: FloatArray | null;
  present: PresentTensors;
}

/** `counted: false` for passes that only fill the prefix cache: a prompt's prefill counts once, cached or not. */
export async function forwardStep(ctx: EngineContext, ids: BigInt64Array, queryPos: Int32Array, B: number, S: number, cache: DecodeCache | null, want: StepRows, counted = true): Promise<StepResult> {
  // A device-resident cache runs through the decoder variant (presents stay on the GPU, no logits output).
  const onDevice = cache instanceof DeviceKvCache;
  if (onDevice && want.logits) throw new Error('internal: the device decoder returns no logits');
  const { s, g } = await (onDevice ? ctx.sessions.decoder() : ctx.sessions.forward());
  const P = cache ? cache.pastLength : 0;
  const { numLayers } = ctx.config;
  const R = want.rows.length;
  const feeds: Record<string, HostTensor | ort.Tensor> = {
    ...ctx.sessions.weightFeeds(g.weightNames),
    input_ids: { dtype: 'int64', dims: [B, S], data: ids },
    logit_rows: { dtype: 'int64', dims: [R], data: BigInt64Array.from(want.rows, (r) => BigInt(r)) },
    score_ids: { dtype: 'int64', dims: [R, 1], data: want.scoreIds ? BigInt64Array.from(want.scoreIds, (r) => BigInt(r)) : new BigInt64Array(R) },
    ...positionFeeds(ctx, B, S, queryPos, P ? cache!.pos : new Int32Array(0), P, g.hasSlidingBias),
  };
  const withPresent = want.present || g.fullPresent;
  Object.assign(feeds, pastFeeds(ctx, B, cache));
  const presents = withPresent ? [...Array.from({ length: numLayers }, (_, l) => `present_key.${l}`), ...Array.from({ length: numLayers }, (_, l) => `present_value.${l}`)] : [];
  // The decoder binds its outputs once and for all (onnxruntime-node's IoBinding keeps every output it ever
  // bound), so it fetches every output every run and frees the presents it does not need.
  const fetch = [...presents, 'next_ids', 'score_logprobs', ...(want.logits ? ['logits'] : [])];
  const { host: out, device } = await s.runMixed(feeds, fetch);
  if (!want.present) for (const t of Object.values(device)) t.dispose();
  if (counted) ctx.counters.forwardPasses += B;
  return {
    nextIds: Array.from(out.next_ids.data as BigInt64Array, Number),
    scores: out.score_logprobs.data as FloatArray,
    logits: want.logits ? (out.logits.data as FloatArray) : null,
    present: want.present ? Object.fromEntries(presents.map((n) => [n, device[n] ?? out[n]])) : {},
  };
}

/** past_key.l / past_value.l of every layer: the cache's columns, or none (P = 0) without a cache. */
export function pastFeeds(ctx: EngineContext, B: number, cache: DecodeCache | null): Record<string, HostTensor | ort.Tensor> {
  const { numKvHeads: kv, headDim: hd, numLayers } = ctx.config;
  const feeds: Record<string, HostTensor | ort.Tensor> = {};
  for (let l = 0; l < numLayers; l++) {
    const past = cache && cache.pastLength ? cache.past(l) : null;
    feeds[`past_key.${l}`] = past?.k ?? { dtype: ctx.dtype, dims: [B, kv, 0, hd], data: ctx.make(0) };
    feeds[`past_value.${l}`] = past?.v ?? { dtype: ctx.dtype, dims: [B, kv, 0, hd], data: ctx.make(0) };
  }
  return feeds;
}
