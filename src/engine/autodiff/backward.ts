// Reverse-mode autodiff over a Graph: appends the backward nodes to the same graph and returns the
// gradient Value of each requested input. Only nodes on a path from a requested input to the loss get
// backward nodes (frozen weights cost nothing). Fan-out accumulates with Add; broadcasting is undone
// here, once, by summing over the broadcast axes.
import { GraphError, Node, Value, isFloat } from '../graph/graph';
import { Graph } from '../graph/ops';
import { NON_DIFFERENTIABLE, RULES } from './rules';

/** Sum `grad` (shaped like a broadcast result) back to `target`'s shape. */
function unbroadcast(g: Graph, grad: Value, target: Value): Value {
  const gs = grad.shape;
  const ts = target.shape;
  if (gs.length === ts.length && gs.every((d, i) => d === ts[i])) return grad;
  const lead = gs.length - ts.length;
  if (lead < 0) throw new GraphError(`gradient of ${target.name} has rank ${gs.length} < input rank ${ts.length}`);
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    if (i < lead) axes.push(i);
    else if (ts[i - lead] === 1 && gs[i] !== 1) axes.push(i);
  }
  const summed = axes.length ? g.reduceSum(grad, axes, true) : grad;
  return g.reshapeTo(summed, g.shapeOf(target), ts);
}

export interface BackwardResult {
  grads: Map<Value, Value>;
}

export function buildBackward(g: Graph, loss: Value, wrt: readonly Value[], seed?: Value): Map<Value, Value> {
  for (const w of wrt) if (!isFloat(w.dtype)) throw new GraphError(`cannot differentiate with respect to ${w.name}: dtype ${w.dtype} is not floating point`);
  const nodes: Node[] = [...g.nodes];

  // Forward reachability from the requested inputs.
  const fromWrt = new Set<Value>(wrt);
  for (const n of nodes) if (n.inputs.some((v) => v && fromWrt.has(v)) && !NON_DIFFERENTIABLE.has(n.op)) n.outputs.forEach((o) => fromWrt.add(o));
  if (!fromWrt.has(loss)) {
    // The loss does not depend on them: all gradients are zero.
    const zeros = new Map<Value, Value>();
    for (const w of wrt) zeros.set(w, g.zerosOfShape(g.shapeOf(w), w.dtype, w.shape));
    return zeros;
  }

  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, d: Value) => {
    const prev = grads.get(v);
    grads.set(v, prev ? g.add(prev, d) : d);
  };
  accumulate(loss, seed ?? (loss.shape.length === 0 ? g.scalar(loss.dtype, 1) : g.node('ConstantOfShape', [g.shapeOf(loss)], { value: { t: { dtype: loss.dtype, dims: [1], data: loss.dtype === 'float32' ? Float32Array.of(1) : Float64Array.of(1) } } }, [{ dtype: loss.dtype, shape: loss.shape }])[0]));

  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (n.outputs.length !== 1) {
      if (n.outputs.some((o) => grads.has(o))) throw new GraphError(`autodiff: multi-output op ${n.op} (${n.name}) is not supported on a gradient path`);
      continue;
    }
    const dy = grads.get(n.outputs[0]);
    if (!dy || !n.inputs.some((v) => v && fromWrt.has(v))) continue;
    const rule = RULES[n.op];
    if (!rule) throw new GraphError(`autodiff: no derivative rule for op ${n.op} (node ${n.name})`);
    const dxs = g.scope(`${n.name}.grad`, () => rule(g, n, dy));
    if (dxs.length < n.inputs.length && n.op !== 'Concat') {
      throw new GraphError(`autodiff: rule for ${n.op} returned ${dxs.length} gradients for ${n.inputs.length} inputs (node ${n.name})`);
    }
    n.inputs.forEach((x, i) => {
      if (!x || !fromWrt.has(x)) return;
      const dx = dxs[i];
      if (!dx) throw new GraphError(`autodiff: ${n.op} (${n.name}) has no gradient for input ${i} (${x.name}), which depends on a differentiated input`);
      accumulate(x, g.scope(`${n.name}.grad`, () => unbroadcast(g, dx, x)));
    });
    // Free memory of the map: intermediate grads are no longer needed once consumed.
    if (!wrt.includes(n.outputs[0])) grads.delete(n.outputs[0]);
  }

  const result = new Map<Value, Value>();
  for (const w of wrt) result.set(w, grads.get(w) ?? g.zerosOfShape(g.shapeOf(w), w.dtype, w.shape));
  return result;
}
