// Finite-difference gradient checking in float64 for graphs built with our builder and run on onnxruntime.
import { buildBackward } from '../../src/engine/autodiff/backward';
import { Value } from '../../src/engine/graph/graph';
import { Graph } from '../../src/engine/graph/ops';
import { toModelProto } from '../../src/engine/graph/serialize';
import { HostTensor, Session } from '../../src/engine/runtime/session';

/** Deterministic PRNG (mulberry32) for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, r: () => number, scale = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return out;
}

export interface CheckInput {
  v: Value;
  data: Float64Array;
  dims: number[];
}

export interface GradCheckResult {
  maxRelErr: number;
  analytic: Float64Array[];
  numeric: Float64Array[];
}

function numel(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * loss = Σ y ⊙ R with R random, so every output element matters with a different weight.
 * Compares ∂loss/∂input (our backward graph) with central differences of the forward graph.
 */
export async function gradCheck(
  build: (g: Graph) => { wrt: CheckInput[]; y: Value; other?: Record<string, HostTensor> },
  seed = 1,
  eps = 1e-6,
): Promise<GradCheckResult> {
  const g = new Graph('check');
  const { wrt, y, other } = build(g);
  const yDims = y.shape.map((d) => {
    if (typeof d !== 'number') throw new Error(`gradCheck needs a static output shape, got ${y.shape}`);
    return d;
  });
  const r = rng(seed + 1000);
  const R = g.input('R', 'float64', yDims);
  const loss = g.reduceSum(g.mul(y, R), [...yDims.keys()], false);
  const lossRank0 = yDims.length ? loss : g.reshape(loss, []);
  g.output(lossRank0, 'loss');
  const grads = buildBackward(g, lossRank0, wrt.map((w) => w.v));
  wrt.forEach((w, i) => g.output(grads.get(w.v)!, `grad${i}`));
  const session = await Session.create('gradcheck', toModelProto(g), 'cpu');
  const Rdata = randn(numel(yDims), r);
  const feeds = (overrides: Map<number, Float64Array>): Record<string, HostTensor> => {
    const f: Record<string, HostTensor> = { R: { dtype: 'float64', dims: yDims, data: Rdata }, ...(other ?? {}) };
    wrt.forEach((w, i) => (f[w.v.name] = { dtype: 'float64', dims: w.dims, data: overrides.get(i) ?? w.data }));
    return f;
  };
  const res = await session.run(feeds(new Map()));
  const analytic = wrt.map((_, i) => Float64Array.from(res[`grad${i}`].data as Float64Array));
  const numeric: Float64Array[] = [];
  let maxRelErr = 0;
  for (let i = 0; i < wrt.length; i++) {
    const base = wrt[i].data;
    const num = new Float64Array(base.length);
    for (let j = 0; j < base.length; j++) {
      const p = Float64Array.from(base);
      p[j] += eps;
      const lp = (await session.run(feeds(new Map([[i, p]])), ['loss'])).loss.data[0] as number;
      p[j] -= 2 * eps;
      const lm = (await session.run(feeds(new Map([[i, p]])), ['loss'])).loss.data[0] as number;
      num[j] = (lp - lm) / (2 * eps);
      const a = analytic[i][j];
      const err = Math.abs(a - num[j]) / Math.max(1e-6, Math.abs(a) + Math.abs(num[j]));
      maxRelErr = Math.max(maxRelErr, err);
    }
    numeric.push(num);
  }
  await session.release();
  return { maxRelErr, analytic, numeric };
}

export function input(g: Graph, name: string, dims: number[], r: () => number, scale = 1): CheckInput {
  return { v: g.input(name, 'float64', dims), data: randn(numel(dims), r, scale), dims };
}
