// One derivative rule per forward op type. A rule receives the forward node and the upstream gradient
// of its (single) output, and returns one gradient per input: null for indices, shapes, masks and
// constants. Gradients of broadcasting ops come back in the output's shape; the walker (backward.ts)
// sums them back to each input's shape, so no rule handles broadcasting itself.
import { GraphError, Node, Value } from '../graph/graph';
import { Graph } from '../graph/ops';

export type Rule = (g: Graph, node: Node, dy: Value) => (Value | null)[];

const inp = (n: Node, i: number): Value => {
  const v = n.inputs[i];
  if (!v) throw new GraphError(`${n.op} node ${n.name}: input ${i} is missing`);
  return v;
};
const out = (n: Node): Value => n.outputs[0];
const one = (g: Graph, like: Value): Value => g.scalar(like.dtype, 1);

function intAttr(n: Node, name: string, dflt: number): number {
  const a = n.attrs[name];
  return a && 'i' in a ? a.i : dflt;
}
/** Indices as int64 (Gather also accepts int32), for arithmetic with int64 shapes. */
function idx64(g: Graph, v: Value): Value {
  return v.dtype === 'int64' ? v : g.cast(v, 'int64');
}
function intsAttr(n: Node, name: string): number[] | undefined {
  const a = n.attrs[name];
  return a && 'ints' in a ? [...a.ints] : undefined;
}
function constInts(v: Value | null, what: string): number[] {
  if (!v || !v.constant) throw new GraphError(`${what}: expected a constant int64 input, got ${v ? v.name : 'none'}`);
  return Array.from(v.constant.data as BigInt64Array, (x) => Number(x));
}
function normAxes(axes: number[], rank: number): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction, broadcast back to the input's runtime shape. */
function unreduce(g: Graph, n: Node, dy: Value, axes: number[]): Value {
  const x = inp(n, 0);
  const keep = intAttr(n, 'keepdims', 1) === 1;
  const dyKeep = keep ? dy : g.unsqueeze(dy, normAxes(axes, x.shape.length));
  return g.expand(dyKeep, g.shapeOf(x), x.shape);
}

function reductionAxes(n: Node): number[] {
  const x = inp(n, 0);
  const axes = n.op === 'ReduceSum' ? (n.inputs[1] ? constInts(n.inputs[1], `${n.op} ${n.name} axes`) : []) : intsAttr(n, 'axes') ?? [];
  return axes.length ? normAxes(axes, x.shape.length) : [...x.shape.keys()];
}

export const RULES: Record<string, Rule> = {
  Identity: (_g, _n, dy) => [dy],
  Add: (_g, _n, dy) => [dy, dy],
  Sub: (g, _n, dy) => [dy, g.neg(dy)],
  Neg: (g, _n, dy) => [g.neg(dy)],
  Mul: (g, n, dy) => [g.mul(dy, inp(n, 1)), g.mul(dy, inp(n, 0))],
  // y = a / b: da = dy / b, db = -dy * y / b (reuses the forward output)
  Div: (g, n, dy) => [g.div(dy, inp(n, 1)), g.neg(g.div(g.mul(dy, out(n)), inp(n, 1)))],
  Pow: (g, n, dy) => {
    const x = inp(n, 0);
    const e = inp(n, 1);
    if (!e.constant) throw new GraphError(`Pow node ${n.name}: only a constant exponent is differentiable`);
    const c = Number((e.constant.data as Float32Array)[0]);
    const dx = c === 2 ? g.mul(dy, g.mul(g.scalar(x.dtype, 2), x)) : g.mul(dy, g.mul(g.scalar(x.dtype, c), g.pow(x, g.scalar(x.dtype, c - 1))));
    return [dx, null];
  },
  // y = sqrt(x): dx = dy / (2y)
  Sqrt: (g, n, dy) => [g.div(dy, g.mul(g.scalar(dy.dtype, 2), out(n)))],
  Exp: (g, n, dy) => [g.mul(dy, out(n))],
  Log: (g, n, dy) => [g.div(dy, inp(n, 0))],
  // y = tanh(x): dx = dy (1 - y²)
  Tanh: (g, n, dy) => [g.mul(dy, g.sub(one(g, dy), g.mul(out(n), out(n))))],
  // y = σ(x): dx = dy y (1 - y)
  Sigmoid: (g, n, dy) => [g.mul(dy, g.mul(out(n), g.sub(one(g, dy), out(n))))],
  // erf'(x) = 2/√π exp(-x²)
  Erf: (g, n, dy) => {
    const x = inp(n, 0);
    return [g.mul(dy, g.mul(g.scalar(x.dtype, 2 / Math.sqrt(Math.PI)), g.exp(g.neg(g.mul(x, x)))))];
  },
  // y = softmax(x): dx = y (dy - Σ dy·y)
  Softmax: (g, n, dy) => {
    const axis = intAttr(n, 'axis', -1);
    const y = out(n);
    return [g.mul(y, g.sub(dy, g.reduceSum(g.mul(dy, y), [axis], true)))];
  },
  // y = log_softmax(x): dx = dy - exp(y) Σ dy
  LogSoftmax: (g, n, dy) => {
    const axis = intAttr(n, 'axis', -1);
    return [g.sub(dy, g.mul(g.exp(out(n)), g.reduceSum(dy, [axis], true)))];
  },
  ReduceSum: (g, n, dy) => [unreduce(g, n, dy, reductionAxes(n)), null],
  ReduceMean: (g, n, dy) => {
    const x = inp(n, 0);
    const axes = reductionAxes(n);
    // count = Π reduced dims, read from the runtime shape so symbolic dims work
    const dims = g.gather(g.shapeOf(x), g.ints(axes));
    const count = g.cast(g.node('ReduceProd', [dims], { keepdims: { i: 0 } }, [{ dtype: 'int64', shape: [] }])[0], x.dtype);
    return [g.div(unreduce(g, n, dy, axes), count)];
  },
  // The max is where the gradient goes; ties share it (each tied element receives dy).
  ReduceMax: (g, n, dy) => {
    const x = inp(n, 0);
    const axes = reductionAxes(n);
    const keep = intAttr(n, 'keepdims', 1) === 1;
    const yKeep = keep ? out(n) : g.unsqueeze(out(n), axes);
    const mask = g.cast(g.equal(x, yKeep), x.dtype);
    return [g.mul(mask, unreduce(g, n, dy, axes))];
  },
  MatMul: (g, n, dy) => {
    const a = inp(n, 0);
    const b = inp(n, 1);
    // dA = dY Bᵀ, dB = Aᵀ dY; batch broadcasting is undone by the walker.
    return [g.matmul(dy, g.transposeLast2(b)), g.matmul(g.transposeLast2(a), dy)];
  },
  Reshape: (g, n, dy) => [g.reshapeTo(dy, g.shapeOf(inp(n, 0)), inp(n, 0).shape), null],
  Unsqueeze: (g, n, dy) => [g.reshapeTo(dy, g.shapeOf(inp(n, 0)), inp(n, 0).shape), null],
  Squeeze: (g, n, dy) => [g.reshapeTo(dy, g.shapeOf(inp(n, 0)), inp(n, 0).shape), null],
  Expand: (_g, _n, dy) => [dy, null],
  Transpose: (g, n, dy) => {
    const perm = intsAttr(n, 'perm') ?? [...inp(n, 0).shape.keys()].reverse();
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(dy, inv)];
  },
  Cast: (g, n, dy) => [g.cast(dy, inp(n, 0).dtype)],
  Concat: (g, n, dy) => {
    const axis = intAttr(n, 'axis', 0);
    const xs = n.inputs.map((_, i) => inp(n, i));
    // split sizes come from the inputs' runtime shapes, so symbolic lengths (KV caches) work too
    const sizes = g.concat(xs.map((x) => g.gather(g.shapeOf(x), g.ints([axis]))), 0);
    return g.node('Split', [dy, sizes], { axis: { i: axis } }, xs.map((x) => ({ dtype: dy.dtype, shape: x.shape })));
  },
  Slice: (g, n, dy) => {
    const x = inp(n, 0);
    const r = x.shape.length;
    const starts = constInts(n.inputs[1], `Slice ${n.name} starts`);
    const axes = n.inputs[3] ? normAxes(constInts(n.inputs[3], `Slice ${n.name} axes`), r) : [...starts.keys()];
    if (n.inputs[4]) {
      const steps = constInts(n.inputs[4], `Slice ${n.name} steps`);
      if (steps.some((s) => s !== 1)) throw new GraphError(`Slice node ${n.name}: only step 1 is differentiable`);
    }
    const begin = new Array<number>(r).fill(0);
    axes.forEach((a, i) => {
      if (starts[i] < 0) throw new GraphError(`Slice node ${n.name}: negative starts are not differentiable`);
      begin[a] = starts[i];
    });
    // pads = [begin..., shape(x) - shape(dy) - begin...]
    const beginV = g.ints(begin);
    const endV = g.sub(g.sub(g.shapeOf(x), g.shapeOf(dy)), beginV);
    return [g.node('Pad', [dy, g.concat([beginV, endV], 0)], { mode: { s: 'constant' } }, [{ dtype: dy.dtype, shape: x.shape }])[0], null, null, null, null];
  },
  Gather: (g, n, dy) => {
    if (intAttr(n, 'axis', 0) !== 0) throw new GraphError(`Gather node ${n.name}: only axis 0 is differentiable`);
    const data = inp(n, 0);
    const idx = idx64(g, inp(n, 1));
    // Repeated indices (a token used twice) must add up. ORT's CPU ScatterND with reduction 'add' updates
    // rows from several threads at once, so repeats race (lost updates, results that change run to run);
    // a one-hot [N, V] matrix transposed times dy [N, K] adds them deterministically.
    const rows = g.gather(g.shapeOf(data), g.scalar('int64', 0));
    const flat = g.reshape(idx, [-1]);
    const negative = g.node('Less', [flat, g.scalar('int64', 0)], {}, [{ dtype: 'bool', shape: flat.shape }])[0];
    const wrapped = g.where(negative, g.add(flat, rows), flat);
    const range = g.node('Range', [g.scalar('int64', 0), rows, g.scalar('int64', 1)], {}, [{ dtype: 'int64', shape: [data.shape[0]] }])[0];
    const onehot = g.cast(g.equal(g.unsqueeze(wrapped, [1]), range), data.dtype);
    const count = g.node('Size', [flat], {}, [{ dtype: 'int64', shape: [] }])[0];
    const dy2 = g.reshapeTo(dy, g.concat([g.unsqueeze(count, [0]), g.ints([-1])], 0), [flat.shape[0], 'k']);
    const d2 = g.matmul(g.transpose(onehot, [1, 0]), dy2);
    return [g.reshapeTo(d2, g.shapeOf(data), data.shape), null];
  },
  GatherElements: (g, n, dy) => {
    const data = inp(n, 0);
    const zeros = g.zerosOfShape(g.shapeOf(data), data.dtype, data.shape);
    const d = g.node('ScatterElements', [zeros, inp(n, 1), dy], { axis: { i: intAttr(n, 'axis', 0) }, reduction: { s: 'add' } }, [
      { dtype: data.dtype, shape: data.shape },
    ])[0];
    return [d, null];
  },
  Where: (g, n, dy) => {
    const zero = g.scalar(dy.dtype, 0);
    const c = inp(n, 0);
    return [null, g.where(c, dy, zero), g.where(c, zero, dy)];
  },
};

/** Ops whose outputs carry no gradient (shape and comparison ops); the walker never asks for a rule. */
export const NON_DIFFERENTIABLE = new Set(['Shape', 'ConstantOfShape', 'Equal', 'Less', 'Greater', 'Not', 'And', 'Or', 'ReduceProd', 'Range', 'ArgMax']);
