// Host-side KV cache of one generate call: per layer [B,kv,capacity,hd], plus the position held by each column
// (−1 = empty or padding, masked by position).
import { Make } from '../engine-context';
import { ModelConfig } from '../model/config';
import { FloatArray } from '../model/rope';
import { HostTensor } from '../runtime/session';

/** A cached prefix: per layer K and V [kv, n, hd], and the logits after its last token. */
export interface PrefixState {
  n: number;
  k: FloatArray[];
  v: FloatArray[];
  lastLogits: FloatArray;
}

export class KvCache {
  readonly k: FloatArray[];
  readonly v: FloatArray[];
  readonly pos: Int32Array;
  used = 0;
  constructor(readonly batch: number, readonly capacity: number, readonly cfg: ModelConfig, make: Make) {
    const n = batch * cfg.numKvHeads * capacity * cfg.headDim;
    this.k = Array.from({ length: cfg.numLayers }, () => make(n));
    this.v = Array.from({ length: cfg.numLayers }, () => make(n));
    this.pos = new Int32Array(batch * capacity).fill(-1);
  }
  /** Row b's prefix K/V into columns [0, n_b); the cache then starts at the longest prefix (gaps masked). */
  setPrefixes(states: readonly PrefixState[]): void {
    const { numKvHeads: kv, headDim: hd } = this.cfg;
    states.forEach((st, b) => {
      for (let l = 0; l < this.cfg.numLayers; l++) {
        for (let h = 0; h < kv; h++) {
          const dst = ((b * kv + h) * this.capacity) * hd;
          this.k[l].set(st.k[l].subarray(h * st.n * hd, (h + 1) * st.n * hd), dst);
          this.v[l].set(st.v[l].subarray(h * st.n * hd, (h + 1) * st.n * hd), dst);
        }
      }
      for (let j = 0; j < st.n; j++) this.pos[b * this.capacity + j] = j;
    });
    this.used = Math.max(0, ...states.map((s) => s.n));
  }

  /** Copies present K/V [B,kv,S,hd] into columns used..used+S. */
  append(present: Record<string, HostTensor>, S: number, positions: Int32Array): void {
    const { numKvHeads: kv, headDim: hd } = this.cfg;
    if (this.used + S > this.capacity) throw new Error(`KV cache overflow: ${this.used} + ${S} > ${this.capacity}`);
    for (let l = 0; l < this.cfg.numLayers; l++) {
      const nk = present[`present_key.${l}`].data as FloatArray;
      const nv = present[`present_value.${l}`].data as FloatArray;
      for (let b = 0; b < this.batch; b++) {
        for (let h = 0; h < kv; h++) {
          const src = (b * kv + h) * S * hd;
          const dst = ((b * kv + h) * this.capacity + this.used) * hd;
          this.k[l].set(nk.subarray(src, src + S * hd), dst);
          this.v[l].set(nv.subarray(src, src + S * hd), dst);
        }
      }
    }
    for (let b = 0; b < this.batch; b++) for (let s = 0; s < S; s++) this.pos[b * this.capacity + this.used + s] = positions[b * S + s];
    this.used += S;
  }
}
