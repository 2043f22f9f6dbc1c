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

/** Columns added when the cache is full: a decode step costs the columns the cache has, so keep few spare. */
export const KV_CHUNK = 64;

export class KvCache {
  k: FloatArray[];
  v: FloatArray[];
  pos: Int32Array;
  capacity: number;
  used = 0;
  constructor(readonly batch: number, capacity: number, readonly cfg: ModelConfig, private readonly make: Make) {
    this.capacity = capacity;
    const n = batch * cfg.numKvHeads * capacity * cfg.headDim;
    this.k = Array.from({ length: cfg.numLayers }, () => make(n));
    this.v = Array.from({ length: cfg.numLayers }, () => make(n));
    this.pos = new Int32Array(batch * capacity).fill(-1);
  }

  /** Room for `n` more columns, growing by whole chunks (the copy is amortised over a chunk of steps). */
  reserve(n: number): void {
    if (this.used + n <= this.capacity) return;
    const cap = this.used + n + KV_CHUNK;
    const { numKvHeads: kv, headDim: hd } = this.cfg;
    const grow = (old: FloatArray): FloatArray => {
      const out = this.make(this.batch * kv * cap * hd);
      for (let r = 0; r < this.batch * kv; r++) out.set(old.subarray(r * this.capacity * hd, (r * this.capacity + this.used) * hd), r * cap * hd);
      return out;
    };
    this.k = this.k.map(grow);
    this.v = this.v.map(grow);
    const pos = new Int32Array(this.batch * cap).fill(-1);
    for (let b = 0; b < this.batch; b++) pos.set(this.pos.subarray(b * this.capacity, b * this.capacity + this.used), b * cap);
    this.pos = pos;
    this.capacity = cap;
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
    this.reserve(S);
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
