// Per-run position inputs shared by every graph: rotary cos/sin of the new tokens and the attention biases
// over [cached columns, new tokens].
import { ModelConfig } from './config';
import { attentionBias } from './masks';
import { FloatArray, RotaryTables } from './rope';
import { HostTensor } from '../runtime/session';

export interface PositionContext {
  readonly config: ModelConfig;
  readonly dtype: 'float32' | 'float64';
  readonly make: (n: number) => FloatArray;
  readonly rotary: RotaryTables;
}

export function positionFeeds(ctx: PositionContext, B: number, S: number, queryPos: Int32Array, cachePos: Int32Array, P: number, hasSliding: boolean): Record<string, HostTensor> {
  const spec = { batch: B, queryPos, newTokens: S, cachePos, cacheLen: P };
  const feeds: Record<string, HostTensor> = {
    ...ctx.rotary.feeds(B, S, queryPos, ctx.dtype, ctx.make),
    bias_full: { dtype: ctx.dtype, dims: [B, 1, 1, S, P + S], data: attentionBias(spec, undefined, ctx.make) },
  };
  if (hasSliding) {
    const w = ctx.config.slidingWindow.find((x) => x !== undefined);
    feeds.bias_sliding = { dtype: ctx.dtype, dims: [B, 1, 1, S, P + S], data: attentionBias(spec, w, ctx.make) };
  }
  return feeds;
}
