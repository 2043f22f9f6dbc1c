// Rotary tables computed on the host: per-position cos/sin in HF's rotate_half layout (each frequency
// repeated in both halves of the head dim), with llama3 / linear frequency scaling applied once.
import { RopeConfig } from './config';

export type FloatArray = Float32Array | Float64Array;

/** θ_i for i < headDim/2, after any scaling. */
export function inverseFrequencies(rope: RopeConfig, headDim: number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(rope.theta, (2 * i) / headDim);
  const s = rope.scaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  // llama3: keep high frequencies, divide low ones by `factor`, blend in between (Llama-3.1 recipe).
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** cos/sin [n, headDim] for the given positions (negative = padding, treated as 0). */
export function ropeTables(inv: Float64Array, positions: ArrayLike<number>, make: (n: number) => FloatArray): { cos: FloatArray; sin: FloatArray } {
  const half = inv.length;
  const hd = half * 2;
  const cos = make(positions.length * hd);
  const sin = make(positions.length * hd);
  for (let t = 0; t < positions.length; t++) {
    const p = Math.max(0, positions[t]);
    for (let i = 0; i < half; i++) {
      const a = p * inv[i];
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[t * hd + i] = c; cos[t * hd + half + i] = c;
      sin[t * hd + i] = s; sin[t * hd + half + i] = s;
    }
  }
  return { cos, sin };
}
