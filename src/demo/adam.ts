// AdamW (Loshchilov & Hutter) over named Float32Array parameters, with global gradient-norm clipping and a
// warmup + cosine learning-rate schedule. Plain loops in a fixed order: the same inputs give the same bits.

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied only to the tensors `decay` selects (matrices, not norms). */
  weightDecay: number;
  /** Gradients are rescaled so their global L2 norm is at most this (0 = off). */
  clipNorm: number;
}

export const DEFAULT_ADAM: AdamOptions = { lr: 3e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 };

export class AdamW {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;

  constructor(readonly params: ReadonlyMap<string, Float32Array>, readonly opts: AdamOptions, private readonly decay: (name: string) => boolean) {
    for (const [n, p] of params) {
      this.m.set(n, new Float32Array(p.length));
      this.v.set(n, new Float32Array(p.length));
    }
  }

  /** Global L2 norm of the gradients, before clipping. */
  static gradNorm(grads: ReadonlyMap<string, ArrayLike<number>>): number {
    let s = 0;
    for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    return Math.sqrt(s);
  }

  /** One update with learning rate `lr`; returns the gradient norm before clipping. */
  step(grads: ReadonlyMap<string, ArrayLike<number>>, lr: number): number {
    const { beta1, beta2, eps, weightDecay, clipNorm } = this.opts;
    const norm = AdamW.gradNorm(grads);
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    this.t++;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) throw new Error(`AdamW: no gradient for parameter ${name}`);
      if (g.length !== p.length) throw new Error(`AdamW: gradient of ${name} has ${g.length} values, parameter has ${p.length}`);
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const wd = this.decay(name) ? lr * weightDecay : 0;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * scale;
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        p[i] -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps) + wd * p[i];
      }
    }
    return norm;
  }
}

/** Linear warmup to `peak`, then cosine decay to `peak · floor` at `total`. */
export function learningRate(step: number, total: number, peak: number, warmup: number, floor = 0.1): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
