// Typed helpers for the ONNX ops the engine uses, each with its output shape computed statically.
// The model families and the autodiff rules build graphs only through these helpers.
import { f32ToF16Bits } from '../weights/half';
import { ConstTensor, DType, Dim, GraphCore, GraphError, Shape, Value, isFloat } from './graph';

export function broadcastShapes(a: Shape, b: Shape, what = 'broadcast'): Dim[] {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = i < r - a.length ? 1 : a[i - (r - a.length)];
    const db = i < r - b.length ? 1 : b[i - (r - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else throw new GraphError(`${what}: shapes [${a.join(',')}] and [${b.join(',')}] do not broadcast`);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function mulDims(dims: readonly Dim[]): Dim {
  let n = 1;
  const sym: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else sym.push(d);
  }
  if (!sym.length) return n;
  return n === 1 ? sym.join('*') : `${sym.join('*')}*${n}`;
}

const typedArrayFor: Record<DType, (n: number[] | bigint[]) => ConstTensor['data']> = {
  float32: (v) => Float32Array.from(v as number[]),
  float64: (v) => Float64Array.from(v as number[]),
  float16: (v) => f32ToF16Bits(Float32Array.from(v as number[])),
  int64: (v) => BigInt64Array.from((v as (number | bigint)[]).map((x) => BigInt(x))),
  int32: (v) => Int32Array.from(v as number[]),
  uint8: (v) => Uint8Array.from(v as number[]),
  bool: (v) => Uint8Array.from(v as number[]),
};

export class Graph extends GraphCore {
  // ---- constants -------------------------------------------------------------------------------
  tensor(dtype: DType, dims: number[], values: number[]): Value {
    return this.constant({ dtype, dims, data: typedArrayFor[dtype](values) });
  }
  scalar(dtype: DType, v: number): Value {
    return this.tensor(dtype, [], [v]);
  }
  ints(values: number[]): Value {
    return this.tensor('int64', [values.length], values);
  }

  // ---- elementwise ------------------------------------------------------------------------------
  private binary(op: string, a: Value, b: Value, outDtype?: DType): Value {
    if (a.dtype !== b.dtype) throw new GraphError(`${op}: dtype mismatch ${a.dtype} vs ${b.dtype} (${a.name}, ${b.name})`);
    return this.node(op, [a, b], {}, [{ dtype: outDtype ?? a.dtype, shape: broadcastShapes(a.shape, b.shape, op) }])[0];
  }
  add(a: Value, b: Value): Value { return this.binary('Add', a, b); }
  sub(a: Value, b: Value): Value { return this.binary('Sub', a, b); }
  mul(a: Value, b: Value): Value { return this.binary('Mul', a, b); }
  div(a: Value, b: Value): Value { return this.binary('Div', a, b); }
  pow(a: Value, b: Value): Value { return this.binary('Pow', a, b); }
  equal(a: Value, b: Value): Value { return this.binary('Equal', a, b, 'bool'); }

  private unary(op: string, x: Value, attrs = {}): Value {
    return this.node(op, [x], attrs, [{ dtype: x.dtype, shape: x.shape }])[0];
  }
  neg(x: Value): Value { return this.unary('Neg', x); }
  sqrt(x: Value): Value { return this.unary('Sqrt', x); }
  exp(x: Value): Value { return this.unary('Exp', x); }
  log(x: Value): Value { return this.unary('Log', x); }
  tanh(x: Value): Value { return this.unary('Tanh', x); }
  erf(x: Value): Value { return this.unary('Erf', x); }
  sigmoid(x: Value): Value { return this.unary('Sigmoid', x); }
  identity(x: Value): Value { return this.unary('Identity', x); }
  softmax(x: Value, axis = -1): Value { return this.unary('Softmax', x, { axis: { i: axis } }); }
  logSoftmax(x: Value, axis = -1): Value { return this.unary('LogSoftmax', x, { axis: { i: axis } }); }

  cast(x: Value, to: DType): Value {
    return this.node('Cast', [x], { to: { i: ONNX_DTYPE[to] } }, [{ dtype: to, shape: x.shape }])[0];
  }

  where(cond: Value, a: Value, b: Value): Value {
    if (a.dtype !== b.dtype) throw new GraphError(`Where: dtype mismatch ${a.dtype} vs ${b.dtype}`);
    const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'Where'), b.shape, 'Where');
    return this.node('Where', [cond, a, b], {}, [{ dtype: a.dtype, shape }])[0];
  }

  // ---- linear algebra ---------------------------------------------------------------------------
  matmul(a: Value, b: Value): Value {
    if (a.dtype !== b.dtype) throw new GraphError(`MatMul: dtype mismatch ${a.dtype} vs ${b.dtype}`);
    if (a.shape.length < 2 || b.shape.length < 2) throw new GraphError(`MatMul: operands must have rank >= 2, got [${a.shape}] and [${b.shape}]`);
    const [m, k1] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      throw new GraphError(`MatMul: inner dims differ: [${a.shape}] @ [${b.shape}] (${a.name} @ ${b.name})`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul batch');
    return this.node('MatMul', [a, b], {}, [{ dtype: a.dtype, shape: [...batch, m, n] }])[0];
  }

  /**
   * com.microsoft MatMulNBits: a [.., K] · dequant(B)ᵀ, B packed [N, K/block, block·bits/8] uint8 with per-block
   * float scales [N·K/block] and packed uint8 zero points (see model/quantize.ts for the layout).
   */
  matMulNBits(a: Value, b: Value, scales: Value, zeroPoints: Value, attrs: { K: number; N: number; bits: number; blockSize: number; accuracyLevel: number }): Value {
    const k = a.shape[a.shape.length - 1];
    if (typeof k === 'number' && k !== attrs.K) throw new GraphError(`MatMulNBits: input has K=${k}, weight has K=${attrs.K} (${a.name})`);
    return this.node('MatMulNBits', [a, b, scales, zeroPoints], {
      K: { i: attrs.K }, N: { i: attrs.N }, bits: { i: attrs.bits }, block_size: { i: attrs.blockSize }, accuracy_level: { i: attrs.accuracyLevel },
    }, [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), attrs.N] }], 'com.microsoft')[0];
  }

  // ---- reductions (keepdims explicit) -----------------------------------------------------------
  private reducedShape(x: Value, axes: number[], keepdims: boolean): Dim[] {
    const ax = axes.map((a) => normAxis(a, x.shape.length));
    const out: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!ax.includes(i)) out.push(d);
      else if (keepdims) out.push(1);
    });
    return out;
  }
  reduceSum(x: Value, axes: number[], keepdims = true): Value {
    return this.node('ReduceSum', [x, this.ints(axes)], { keepdims: { i: keepdims ? 1 : 0 } }, [
      { dtype: x.dtype, shape: this.reducedShape(x, axes, keepdims) },
    ])[0];
  }
  reduceMean(x: Value, axes: number[], keepdims = true): Value {
    return this.node('ReduceMean', [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } }, [
      { dtype: x.dtype, shape: this.reducedShape(x, axes, keepdims) },
    ])[0];
  }
  reduceMax(x: Value, axes: number[], keepdims = true): Value {
    return this.node('ReduceMax', [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } }, [
      { dtype: x.dtype, shape: this.reducedShape(x, axes, keepdims) },
    ])[0];
  }

  /** Index of the first maximum along `axis` (ties pick the lowest index, like a host argmax). */
  argMax(x: Value, axis: number, keepdims = false): Value {
    const ax = normAxis(axis, x.shape.length);
    return this.node('ArgMax', [x], { axis: { i: ax }, keepdims: { i: keepdims ? 1 : 0 }, select_last_index: { i: 0 } }, [
      { dtype: 'int64', shape: this.reducedShape(x, [ax], keepdims) },
    ])[0];
  }

  // ---- shape ops ---------------------------------------------------------------------------------
  /** Reshape to a constant shape; 0 copies the input dim, one -1 is inferred. */
  reshape(x: Value, target: number[]): Value {
    const out: Dim[] = target.map((t, i) => (t === 0 ? x.shape[i] : t));
    const inferAt = target.indexOf(-1);
    if (inferAt >= 0) {
      const known = out.filter((_, i) => i !== inferAt);
      const total = mulDims(x.shape);
      const knownProd = mulDims(known);
      if (typeof total === 'number' && typeof knownProd === 'number') out[inferAt] = total / knownProd;
      else if (typeof knownProd === 'number' && knownProd === 1) out[inferAt] = total;
      else {
        // Symbolic: drop known numeric factors when they match; else leave an opaque name.
        const totalSyms = x.shape.filter((d) => typeof d === 'string') as string[];
        const knownSyms = known.filter((d) => typeof d === 'string') as string[];
        const rest = totalSyms.filter((s) => !knownSyms.includes(s));
        const numTotal = x.shape.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
        const numKnown = known.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
        const numRest = numTotal / numKnown;
        out[inferAt] = rest.length === 0 && Number.isInteger(numRest) ? numRest
          : Number.isInteger(numRest) && numRest !== 1 ? `${rest.join('*')}*${numRest}` : rest.join('*') || `${x.name}_reshaped`;
      }
    }
    return this.node('Reshape', [x, this.ints(target)], {}, [{ dtype: x.dtype, shape: out }])[0];
  }
  /** Reshape to a runtime shape (an int64 vector); the caller states the resulting static shape. */
  reshapeTo(x: Value, shape: Value, outShape: Shape): Value {
    return this.node('Reshape', [x, shape], {}, [{ dtype: x.dtype, shape: outShape }])[0];
  }
  shapeOf(x: Value): Value {
    return this.node('Shape', [x], {}, [{ dtype: 'int64', shape: [x.shape.length] }])[0];
  }
  transpose(x: Value, perm: number[]): Value {
    if (perm.length !== x.shape.length) throw new GraphError(`Transpose: perm [${perm}] does not match rank of [${x.shape}]`);
    return this.node('Transpose', [x], { perm: { ints: perm } }, [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }])[0];
  }
  /** Swap the last two axes. */
  transposeLast2(x: Value): Value {
    const r = x.shape.length;
    const perm = [...Array(r).keys()];
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return this.transpose(x, perm);
  }
  concat(xs: Value[], axis: number): Value {
    const r = xs[0].shape.length;
    const a = normAxis(axis, r);
    const shape = [...xs[0].shape];
    shape[a] = mulAdd(xs.map((x) => x.shape[a]));
    return this.node('Concat', xs, { axis: { i: a } }, [{ dtype: xs[0].dtype, shape }])[0];
  }
  /** Slice with constant starts/ends on the given axes (step 1). */
  slice(x: Value, starts: number[], ends: number[], axes: number[]): Value {
    const shape = [...x.shape];
    axes.forEach((ax, i) => {
      const a = normAxis(ax, x.shape.length);
      const d = x.shape[a];
      if (typeof d === 'number') {
        const s = clampIndex(starts[i], d);
        const e = clampIndex(ends[i], d);
        shape[a] = Math.max(0, e - s);
      } else if (starts[i] >= 0 && ends[i] >= 0 && ends[i] < 2 ** 40) shape[a] = ends[i] - starts[i];
      else shape[a] = `${x.name}_slice${a}`;
    });
    return this.node('Slice', [x, this.ints(starts), this.ints(ends), this.ints(axes)], {}, [{ dtype: x.dtype, shape }])[0];
  }
  /** Gather along axis 0 (rows of a table). */
  gather(data: Value, indices: Value): Value {
    return this.node('Gather', [data, indices], { axis: { i: 0 } }, [
      { dtype: data.dtype, shape: [...indices.shape, ...data.shape.slice(1)] },
    ])[0];
  }
  gatherElements(data: Value, indices: Value, axis: number): Value {
    return this.node('GatherElements', [data, indices], { axis: { i: axis } }, [{ dtype: data.dtype, shape: indices.shape }])[0];
  }
  expand(x: Value, shape: Value, outShape: Shape): Value {
    return this.node('Expand', [x, shape], {}, [{ dtype: x.dtype, shape: outShape }])[0];
  }
  unsqueeze(x: Value, axes: number[]): Value {
    const r = x.shape.length + axes.length;
    const ax = axes.map((a) => normAxis(a, r));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : x.shape[j++]);
    return this.node('Unsqueeze', [x, this.ints(axes)], {}, [{ dtype: x.dtype, shape: out }])[0];
  }
  squeeze(x: Value, axes: number[]): Value {
    const ax = axes.map((a) => normAxis(a, x.shape.length));
    return this.node('Squeeze', [x, this.ints(axes)], {}, [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !ax.includes(i)) }])[0];
  }
  /** Zeros (of x's float dtype) shaped like the runtime shape vector `shape`. */
  zerosOfShape(shape: Value, dtype: DType, outShape: Shape): Value {
    if (!isFloat(dtype)) throw new GraphError(`zerosOfShape: float dtype expected, got ${dtype}`);
    const t: ConstTensor = { dtype, dims: [1], data: typedArrayFor[dtype]([0]) };
    return this.node('ConstantOfShape', [shape], { value: { t } }, [{ dtype, shape: outShape }])[0];
  }
}

function clampIndex(i: number, d: number): number {
  const j = i < 0 ? i + d : i;
  return Math.min(Math.max(j, 0), d);
}

function mulAdd(dims: Dim[]): Dim {
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((a, b) => a + b, 0);
  return dims.join('+');
}

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };
