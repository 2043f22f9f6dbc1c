// One forward pass over new tokens [B,S] on top of a KV cache (may be empty): logits at chosen rows and the
// new keys/values.
import * as ort from 'onnxruntime-node';
import { EngineContext } from '../engine-context';
import { positionFeeds } from '../model/position-feeds';
import { FloatArray } from '../model/rope';
import { HostTensor } from '../runtime/session';
import { KvCache } from './kv-cache';

export interface StepResult {
  logits: FloatArray;
  present: Record<string, HostTensor>;
}

/** `counted: false` for passes that only fill the prefix cache: a prompt's prefill counts once, cached or not. */
export async function forwardStep(ctx: EngineContext, ids: BigInt64Array, queryPos: Int32Array, B: number, S: number, cache: KvCache | null, rows: number[], counted = true): Promise<StepResult> {
  const { s, g } = await ctx.sessions.forward();
  const P = cache && cache.used > 0 ? cache.capacity : 0;
  const { numKvHeads: kv, headDim: hd } = ctx.config;
  const feeds: Record<string, HostTensor | ort.Tensor> = {
    ...ctx.sessions.weightFeeds(g.weightNames),
    input_ids: { dtype: 'int64', dims: [B, S], data: ids },
    logit_rows: { dtype: 'int64', dims: [rows.length], data: BigInt64Array.from(rows, (r) => BigInt(r)) },
    ...positionFeeds(ctx, B, S, queryPos, P ? cache!.pos : new Int32Array(0), P, g.hasSlidingBias),
  };
  for (let l = 0; l < ctx.config.numLayers; l++) {
    feeds[`past_key.${l}`] = { dtype: ctx.dtype, dims: [B, kv, P, hd], data: P ? cache!.k[l] : ctx.make(0) };
    feeds[`past_value.${l}`] = { dtype: ctx.dtype, dims: [B, kv, P, hd], data: P ? cache!.v[l] : ctx.make(0) };
  }
  const out = await s.run(feeds);
  if (counted) ctx.counters.forwardPasses += B;
  return { logits: out.logits.data as FloatArray, present: out };
}
