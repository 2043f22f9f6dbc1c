// Additive attention masks [B,1,1,S,T] (0 = may attend, -inf = may not) from token positions. Keys are
// the cached columns followed by the S new tokens; a key at position pk is visible to a query at pq when
// 0 ≤ pk ≤ pq and, on sliding-window layers, pq − pk < window. A padding query (pq < 0) sees only
// itself, so its softmax row stays finite and no NaN reaches real rows through later layers.
import { FloatArray } from './rope';

export interface MaskSpec {
  batch: number;
  /** Positions of the new tokens, [B·S], −1 for padding. */
  queryPos: Int32Array;
  newTokens: number;
  /** Positions of the cached key columns, [B·P], −1 for empty or padding columns. */
  cachePos: Int32Array;
  cacheLen: number;
}

export function attentionBias(m: MaskSpec, window: number | undefined, make: (n: number) => FloatArray): FloatArray {
  const { batch: B, newTokens: S, cacheLen: P } = m;
  const T = P + S;
  const out = make(B * S * T).fill(-Infinity);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < S; i++) {
      const pq = m.queryPos[b * S + i];
      const row = (b * S + i) * T;
      if (pq < 0) {
        out[row + P + i] = 0;
        continue;
      }
      const visible = (pk: number) => pk >= 0 && pk <= pq && (window === undefined || pq - pk < window);
      for (let j = 0; j < P; j++) if (visible(m.cachePos[b * P + j])) out[row + j] = 0;
      for (let j = 0; j < S; j++) if (visible(m.queryPos[b * S + j]) && j <= i) out[row + P + j] = 0;
    }
  }
  return out;
}
