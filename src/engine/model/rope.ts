// Rotary tables computed on the host: per-position cos/sin in HF's rotate_half layout (each frequency
// repeated in both halves of the rotary dims), with llama3 / linear / longrope frequency scaling, following
// transformers' modeling_rope_utils. A model has up to two tables (global, and Gemma 3's local one for
// sliding layers); NoPE layers read none.
import type { HostTensor } from '../runtime/session';
import type { ModelConfig, RopeConfig, RopeKind } from './config';

export type FloatArray = Float32Array | Float64Array;

/**
 * θ_i for i < dim/2 (dim = the rotary dims), after any scaling. `seqLen` (largest position + 1 of the call)
 * picks LongRoPE's long factors once it exceeds the original context, as HF's dynamic update does.
 */
export function inverseFrequencies(rope: RopeConfig, dim: number, seqLen = 0): Float64Array {
  const half = dim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(rope.theta, (2 * i) / dim);
  const s = rope.scaling;
  if (!s) return inv;
  if (s.type === 'linear') return inv.map((f) => f / s.factor);
  if (s.type === 'longrope') {
    const ext = seqLen > s.originalMaxPositions ? s.longFactor : s.shortFactor;
    return inv.map((f, i) => f / ext[i]);
  }
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

/** Multiplier of cos and sin (LongRoPE's attention factor; 1 otherwise). */
export function attentionScaling(rope: RopeConfig): number {
  return rope.scaling?.type === 'longrope' ? rope.scaling.attentionFactor : 1;
}

/** cos/sin [n, 2·inv.length] for the given positions (negative = padding, treated as 0), times `scale`. */
export function ropeTables(inv: Float64Array, positions: ArrayLike<number>, make: (n: number) => FloatArray, scale = 1): { cos: FloatArray; sin: FloatArray } {
  const half = inv.length;
  const hd = half * 2;
  const cos = make(positions.length * hd);
  const sin = make(positions.length * hd);
  for (let t = 0; t < positions.length; t++) {
    const p = Math.max(0, positions[t]);
    for (let i = 0; i < half; i++) {
      const a = p * inv[i];
      const c = Math.cos(a) * scale;
      const s = Math.sin(a) * scale;
      cos[t * hd + i] = c; cos[t * hd + half + i] = c;
      sin[t * hd + i] = s; sin[t * hd + half + i] = s;
    }
  }
  return { cos, sin };
}

/** Graph input names of each rotary table; one table so the graph and the feeds agree. */
export const ROPE_INPUTS: Readonly<Record<RopeKind, { cos: string; sin: string }>> = {
  global: { cos: 'rope_cos', sin: 'rope_sin' },
  local: { cos: 'rope_cos_local', sin: 'rope_sin_local' },
};

/** The tables some layer reads, in a fixed order. */
export function ropeKindsUsed(cfg: ModelConfig): RopeKind[] {
  return (['global', 'local'] as const).filter((k) => cfg.layerRope.includes(k));
}

/** Host side of the rotary inputs: cos/sin [B,S,rotaryDim] per used table for the positions of one call. */
export class RotaryTables {
  private readonly fixed = new Map<RopeKind, Float64Array>();
  constructor(private readonly cfg: ModelConfig) {
    // Frequencies that do not depend on the call are computed once.
    for (const k of ropeKindsUsed(cfg)) if (this.rope(k).scaling?.type !== 'longrope') this.fixed.set(k, inverseFrequencies(this.rope(k), cfg.rotaryDim));
  }
  private rope(k: RopeKind): RopeConfig {
    return k === 'local' ? this.cfg.localRope! : this.cfg.rope;
  }
  feeds(B: number, S: number, positions: Int32Array, dtype: 'float32' | 'float64', make: (n: number) => FloatArray): Record<string, HostTensor> {
    const out: Record<string, HostTensor> = {};
    let seqLen = 0;
    for (const p of positions) seqLen = Math.max(seqLen, p + 1);
    for (const k of ropeKindsUsed(this.cfg)) {
      const rope = this.rope(k);
      const inv = this.fixed.get(k) ?? inverseFrequencies(rope, this.cfg.rotaryDim, seqLen);
      const { cos, sin } = ropeTables(inv, positions, make, attentionScaling(rope));
      out[ROPE_INPUTS[k].cos] = { dtype, dims: [B, S, this.cfg.rotaryDim], data: cos };
      out[ROPE_INPUTS[k].sin] = { dtype, dims: [B, S, this.cfg.rotaryDim], data: sin };
    }
    return out;
  }
}
