// Seedable PRNG for everything random in a run (train/held-out split, random sample groups in the
// proposal step). xoshiro128** (Blackman & Vigna, 2018): 128-bit state, 32-bit outputs, period 2^128 − 1.
// The state is four uint32 words, so it round-trips through a JSON checkpoint as a plain number[] and a
// resumed run continues the exact same stream (ALGORITHM §13 item 15: the reference run was unseeded).
import { UserError } from '../engine';

const TWO_POW_32 = 4294967296;

/** 32-bit finaliser used only to spread a small integer seed over the 128-bit state. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x21f0aaad) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x735a2d97) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export type RngState = number[];

export class Rng {
  private s: Uint32Array;

  /** Same seed, same stream. Any safe integer works; its high and low 32 bits both feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    // Weyl sequence over (lo, hi) through the finaliser: distinct seeds give unrelated states.
    this.s = new Uint32Array(4);
    let w = lo;
    for (let i = 0; i < 4; i++) {
      w = (w + 0x9e3779b9) >>> 0;
      this.s[i] = mix32(w ^ mix32(hi + i));
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // all-zero is a fixed point
  }

  /** Next raw 32-bit output. */
  private nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n), unbiased (rejects the top partial block of 2^32). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) throw new RangeError(`Rng.int needs an integer n in [1, 2^32], got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /** k distinct elements of arr in random order (partial Fisher–Yates on a copy; arr is untouched). */
  sample<T>(arr: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > arr.length) {
      throw new RangeError(`Rng.sample needs 0 <= k <= ${arr.length}, got ${k}`);
    }
    const a = arr.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(a.length - i);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a.slice(0, k);
  }

  /** Plain JSON value; Rng.fromState(getState()) continues the identical stream. */
  getState(): RngState {
    return Array.from(this.s);
  }

  /** Rebuilds a generator from a checkpointed state; a damaged state is reported, not silently reseeded. */
  static fromState(state: unknown): Rng {
    const ok = Array.isArray(state) && state.length === 4 &&
      state.every((x) => Number.isInteger(x) && x >= 0 && x < TWO_POW_32) &&
      state.some((x) => x !== 0);
    if (!ok) {
      throw new UserError(`invalid RNG state ${JSON.stringify(state)}: expected 4 unsigned 32-bit integers, not all zero (is the checkpoint damaged?)`);
    }
    const r = new Rng(0);
    r.s = Uint32Array.from(state as number[]);
    return r;
  }
}
