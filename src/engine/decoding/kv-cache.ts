// KV caches of one generate call, per layer [B,kv,columns,hd] plus the position held by each column (−1 =
// empty or padding, masked by position). The host cache has preallocated columns the graph's new keys/values
// are copied into; the device cache is the graph's full present, fed back whole and never downloaded.
import * as ort from 'onnxruntime-node';
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

export type PresentTensors = Record<string, HostTensor | ort.Tensor>;

/** What a forward step needs from a cache, wherever it lives. */
export interface DecodeCache {
  readonly batch: number;
  readonly used: number;
  /** Key columns fed as past (the host cache also feeds its empty, masked columns). */
  readonly pastLength: number;
  /** Position per fed column, [B·pastLength]. */
  readonly pos: Int32Array;
  past(layer: number): { k: HostTensor | ort.Tensor; v: HostTensor | ort.Tensor };
  /** Takes a step's present_* outputs for its S new tokens (at `positions`, [B·S]). */
  append(present: PresentTensors, S: number, positions: Int32Array): void;
  dispose(): void;
}

export class KvCache implements DecodeCache {
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

  get pastLength(): number {
    return this.used > 0 ? this.capacity : 0;
  }

  past(l: number): { k: HostTensor; v: HostTensor } {
    const P = this.pastLength;
    const dims = [this.batch, this.cfg.numKvHeads, P, this.cfg.headDim];
    const dtype = this.k[l] instanceof Float64Array ? 'float64' : 'float32';
    return { k: { dtype, dims, data: P ? this.k[l] : this.make(0) }, v: { dtype, dims, data: P ? this.v[l] : this.make(0) } };
  }

  dispose(): void {}

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
      if (st.n === 0) return; // a row without a prefix (its columns stay empty and masked)
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
  append(present: PresentTensors, S: number, positions: Int32Array): void {
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

/**
 * The cache as device tensors (WebGPU): each step's present_* (= past + new, left on the GPU by the session)
 * becomes the next past and the replaced tensors are freed. Starts from host prefixes (uploaded once by the
 * first run) or empty.
 */
export class DeviceKvCache implements DecodeCache {
  private k: (HostTensor | ort.Tensor)[];
  private v: (HostTensor | ort.Tensor)[];
  pos: Int32Array;
  used: number;

  constructor(readonly batch: number, private readonly cfg: ModelConfig, start: KvCache) {
    this.k = start.k.map((_, l) => start.past(l).k);
    this.v = start.v.map((_, l) => start.past(l).v);
    // The host cache's columns are [B, capacity]; its fed columns are all of them once anything is cached.
    this.pos = start.pastLength ? start.pos.slice() : new Int32Array(0);
    this.used = start.pastLength;
  }

  get pastLength(): number {
    return this.used;
  }

  past(l: number): { k: HostTensor | ort.Tensor; v: HostTensor | ort.Tensor } {
    return { k: this.k[l], v: this.v[l] };
  }

  append(present: PresentTensors, S: number, positions: Int32Array): void {
    for (let l = 0; l < this.cfg.numLayers; l++) {
      release(this.k[l]);
      release(this.v[l]);
      this.k[l] = present[`present_key.${l}`];
      this.v[l] = present[`present_value.${l}`];
    }
    const P = this.used, T = P + S;
    const pos = new Int32Array(this.batch * T);
    for (let b = 0; b < this.batch; b++) {
      pos.set(this.pos.subarray(b * P, (b + 1) * P), b * T);
      pos.set(positions.subarray(b * S, (b + 1) * S), b * T + P);
    }
    this.pos = pos;
    this.used = T;
  }

  dispose(): void {
    this.k.forEach(release);
    this.v.forEach(release);
    this.k = [];
    this.v = [];
  }
}

function release(t: HostTensor | ort.Tensor): void {
  if (t instanceof ort.Tensor && t.location === 'gpu-buffer') t.dispose();
}

/**
 * The tokens of each sequence after its first skip[b] (a cached prefix), left-padded into [B, L]: positions are
 * absolute, pad columns get −1 (masked). Prefill and logits after cached prefixes both feed this.
 */
export function leftPadAfterPrefixes(seqs: readonly (readonly number[])[], skip: readonly number[]): { ids: BigInt64Array; pos: Int32Array; L: number; rest: number[][] } {
  const rest = seqs.map((p, b) => p.slice(skip[b]));
  const L = Math.max(...rest.map((r) => r.length));
  const ids = new BigInt64Array(seqs.length * L);
  const pos = new Int32Array(seqs.length * L).fill(-1);
  rest.forEach((r, b) => {
    const off = L - r.length;
    r.forEach((t, j) => {
      ids[b * L + off + j] = BigInt(t);
      pos[b * L + off + j] = skip[b] + j;
    });
  });
  return { ids, pos, L, rest };
}
