// One forward pass over new tokens [B,S] on top of a KV cache (may be empty): at chosen rows, the greedy
// token and the log-probability of a chosen token (computed in the graph), the full logits only on request,
// and the new keys/values.
import * as ort from 'onnxruntime-node';
import { EngineContext } from '../engine-context';
import { positionFeeds } from '../model/position-feeds';
import { FloatArray } from '../model/rope';
import { HostTensor } from '../runtime/session';
import { KvCache } from './kv-cache';

export interface StepRows {
  /** Flattened [B·S] rows whose results are wanted. */
  rows: readonly number[];
  /** Per row, the token whose log-probability to return (default 0: ignored). */
  scoreIds?: readonly number[];
  /** Also return the [rows × vocab] logits (a large copy to the host). */
  logits?: boolean;
}

export interface StepResult {
  /** Per row: argmax of its logits. */
  nextIds: number[];
  /** Per row: log p(scoreIds[r]). */
  scores: FloatArray;
  logits: FloatArray | null;
  present: Record<string, HostTensor>;
}

/** `counted: false` for passes that only fill the prefix cache: a prompt's prefill counts once, cached or not. */
export async function forwardStep(ctx: EngineContext, ids: BigInt64Array, queryPos: Int32Array, B: number, S: number, cache: KvCache | null, want: StepRows, counted = true): Promise<StepResult> {
  const { s, g } = await ctx.sessions.forward();
  const P = cache && cache.used > 0 ? cache.capacity : 0;
  const { numKvHeads: kv, headDim: hd, numLayers } = ctx.config;
  const R = want.rows.length;
  const feeds: Record<string, HostTensor | ort.Tensor> = {
    ...ctx.sessions.weightFeeds(g.weightNames),
    input_ids: { dtype: 'int64', dims: [B, S], data: ids },
    logit_rows: { dtype: 'int64', dims: [R], data: BigInt64Array.from(want.rows, (r) => BigInt(r)) },
    score_ids: { dtype: 'int64', dims: [R, 1], data: want.scoreIds ? BigInt64Array.from(want.scoreIds, (r) => BigInt(r)) : new BigInt64Array(R) },
    ...positionFeeds(ctx, B, S, queryPos, P ? cache!.pos : new Int32Array(0), P, g.hasSlidingBias),
  };
  const fetch = ['next_ids', 'score_logprobs', ...(want.logits ? ['logits'] : [])];
  for (let l = 0; l < numLayers; l++) {
    feeds[`past_key.${l}`] = { dtype: ctx.dtype, dims: [B, kv, P, hd], data: P ? cache!.k[l] : ctx.make(0) };
    feeds[`past_value.${l}`] = { dtype: ctx.dtype, dims: [B, kv, P, hd], data: P ? cache!.v[l] : ctx.make(0) };
    fetch.push(`present_key.${l}`, `present_value.${l}`);
  }
  const out = await s.run(feeds, fetch);
  if (counted) ctx.counters.forwardPasses += B;
  return {
    nextIds: Array.from(out.next_ids.data as BigInt64Array, Number),
    scores: out.score_logprobs.data as FloatArray,
    logits: want.logits ? (out.logits.data as FloatArray) : null,
    present: out,
  };
}
