// Every autodiff rule against float64 central finite differences, plus the walker's own contract:
// broadcast gradients are summed, fan-out accumulates, unused inputs get zeros, integers are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBackward } from '../src/engine/autodiff/backward';
import { RULES } from '../src/engine/autodiff/rules';
import { Graph } from '../src/engine/graph/ops';
import { toModelProto } from '../src/engine/graph/serialize';
import { Session } from '../src/engine/runtime/session';
import { gradCheck, input, rng } from './helpers/gradcheck';

const TOL = 1e-6;
type Case = [name: string, build: Parameters<typeof gradCheck>[0]];

const cases: Case[] = [
  ['Add broadcast', (g) => { const r = rng(1); const a = input(g, 'a', [2, 3, 4], r); const b = input(g, 'b', [3, 1], r); return { wrt: [a, b], y: g.add(a.v, b.v) }; }],
  ['Sub broadcast', (g) => { const r = rng(2); const a = input(g, 'a', [4], r); const b = input(g, 'b', [2, 3, 4], r); return { wrt: [a, b], y: g.sub(a.v, b.v) }; }],
  ['Mul broadcast', (g) => { const r = rng(3); const a = input(g, 'a', [2, 1, 4], r); const b = input(g, 'b', [1, 3, 4], r); return { wrt: [a, b], y: g.mul(a.v, b.v) }; }],
  ['Div', (g) => { const r = rng(4); const a = input(g, 'a', [3, 4], r); const b = input(g, 'b', [4], r); b.data.forEach((x, i) => (b.data[i] = 1.5 + Math.abs(x))); return { wrt: [a, b], y: g.div(a.v, b.v) }; }],
  ['Neg', (g) => { const a = input(g, 'a', [5], rng(5)); return { wrt: [a], y: g.neg(a.v) }; }],
  ['Identity', (g) => { const a = input(g, 'a', [5], rng(5)); return { wrt: [a], y: g.identity(a.v) }; }],
  ['Pow 2', (g) => { const a = input(g, 'a', [6], rng(6)); return { wrt: [a], y: g.pow(a.v, g.scalar('float64', 2)) }; }],
  ['Pow 3', (g) => { const a = input(g, 'a', [6], rng(7)); return { wrt: [a], y: g.pow(a.v, g.scalar('float64', 3)) }; }],
  ['Pow 0.5', (g) => { const a = input(g, 'a', [6], rng(8)); a.data.forEach((x, i) => (a.data[i] = 0.5 + Math.abs(x))); return { wrt: [a], y: g.pow(a.v, g.scalar('float64', 0.5)) }; }],
  ['Sqrt', (g) => { const a = input(g, 'a', [6], rng(9)); a.data.forEach((x, i) => (a.data[i] = 0.5 + Math.abs(x))); return { wrt: [a], y: g.sqrt(a.v) }; }],
  ['Exp', (g) => { const a = input(g, 'a', [2, 3], rng(10)); return { wrt: [a], y: g.exp(a.v) }; }],
  ['Log', (g) => { const a = input(g, 'a', [6], rng(11)); a.data.forEach((x, i) => (a.data[i] = 0.5 + Math.abs(x))); return { wrt: [a], y: g.log(a.v) }; }],
  ['Tanh', (g) => { const a = input(g, 'a', [7], rng(12), 2); return { wrt: [a], y: g.tanh(a.v) }; }],
  ['Sigmoid', (g) => { const a = input(g, 'a', [7], rng(13), 2); return { wrt: [a], y: g.sigmoid(a.v) }; }],
  ['Erf', (g) => { const a = input(g, 'a', [7], rng(14)); return { wrt: [a], y: g.cast(g.erf(g.cast(a.v, 'float32')), 'float64') }; }],
  ['Softmax', (g) => { const a = input(g, 'a', [2, 3, 5], rng(15), 2); return { wrt: [a], y: g.softmax(a.v, -1) }; }],
  ['Softmax axis 1', (g) => { const a = input(g, 'a', [2, 3, 5], rng(16), 2); return { wrt: [a], y: g.softmax(a.v, 1) }; }],
  ['LogSoftmax', (g) => { const a = input(g, 'a', [3, 6], rng(17), 2); return { wrt: [a], y: g.logSoftmax(a.v, -1) }; }],
  ['ReduceSum keepdims', (g) => { const a = input(g, 'a', [2, 3, 4], rng(18)); return { wrt: [a], y: g.reduceSum(a.v, [1], true) }; }],
  ['ReduceSum no keepdims', (g) => { const a = input(g, 'a', [2, 3, 4], rng(19)); return { wrt: [a], y: g.reduceSum(a.v, [0, 2], false) }; }],
  ['ReduceMean', (g) => { const a = input(g, 'a', [2, 3, 4], rng(20)); return { wrt: [a], y: g.reduceMean(a.v, [-1], true) }; }],
  ['ReduceMean no keepdims', (g) => { const a = input(g, 'a', [2, 3, 4], rng(21)); return { wrt: [a], y: g.reduceMean(a.v, [1], false) }; }],
  ['ReduceMax', (g) => { const a = input(g, 'a', [3, 5], rng(22)); return { wrt: [a], y: g.reduceMax(a.v, [1], false) }; }],
  ['MatMul 2D', (g) => { const r = rng(23); const a = input(g, 'a', [3, 4], r); const b = input(g, 'b', [4, 5], r); return { wrt: [a, b], y: g.matmul(a.v, b.v) }; }],
  ['MatMul batched broadcast', (g) => { const r = rng(24); const a = input(g, 'a', [2, 1, 3, 4], r); const b = input(g, 'b', [3, 4, 2], r); return { wrt: [a, b], y: g.matmul(a.v, b.v) }; }],
  ['MatMul 3D x 2D', (g) => { const r = rng(25); const a = input(g, 'a', [2, 3, 4], r); const b = input(g, 'b', [4, 5], r); return { wrt: [a, b], y: g.matmul(a.v, b.v) }; }],
  ['Reshape', (g) => { const a = input(g, 'a', [2, 3, 4], rng(26)); return { wrt: [a], y: g.reshape(a.v, [0, -1]) }; }],
  ['Transpose', (g) => { const a = input(g, 'a', [2, 3, 4], rng(27)); return { wrt: [a], y: g.transpose(a.v, [2, 0, 1]) }; }],
  ['Concat', (g) => { const r = rng(28); const a = input(g, 'a', [2, 3], r); const b = input(g, 'b', [2, 1], r); return { wrt: [a, b], y: g.concat([a.v, b.v, a.v], 1) }; }],
  ['Slice', (g) => { const a = input(g, 'a', [4, 6], rng(29)); return { wrt: [a], y: g.slice(a.v, [1, 2], [3, 5], [0, 1]) }; }],
  ['Slice to end', (g) => { const a = input(g, 'a', [4, 6], rng(30)); return { wrt: [a], y: g.slice(a.v, [3], [2 ** 62], [1]) }; }],
  ['Gather repeated rows', (g) => {
    const a = input(g, 'a', [5, 3], rng(31));
    const idx = g.input('idx', 'int64', [2, 3]);
    return { wrt: [a], y: g.gather(a.v, idx), other: { idx: { dtype: 'int64', dims: [2, 3], data: BigInt64Array.from([0n, 2n, 2n, 4n, 0n, 1n]) } } };
  }],
  ['GatherElements', (g) => {
    const a = input(g, 'a', [3, 4], rng(32));
    const idx = g.input('idx', 'int64', [3, 1]);
    return { wrt: [a], y: g.gatherElements(a.v, idx, 1), other: { idx: { dtype: 'int64', dims: [3, 1], data: BigInt64Array.from([3n, 0n, 2n]) } } };
  }],
  ['Expand', (g) => { const a = input(g, 'a', [3, 1], rng(33)); return { wrt: [a], y: g.expand(a.v, g.ints([2, 3, 4]), [2, 3, 4]) }; }],
  ['Unsqueeze', (g) => { const a = input(g, 'a', [3, 4], rng(34)); return { wrt: [a], y: g.unsqueeze(a.v, [0, 2]) }; }],
  ['Squeeze', (g) => { const a = input(g, 'a', [3, 1, 4], rng(35)); return { wrt: [a], y: g.squeeze(a.v, [1]) }; }],
  ['Where', (g) => {
    const r = rng(36); const a = input(g, 'a', [2, 3], r); const b = input(g, 'b', [3], r);
    const c = g.input('c', 'bool', [2, 3]);
    return { wrt: [a, b], y: g.where(c, a.v, b.v), other: { c: { dtype: 'bool', dims: [2, 3], data: Uint8Array.from([1, 0, 1, 0, 0, 1]) } } };
  }],
  ['Cast round trip', (g) => { const a = input(g, 'a', [4], rng(37)); return { wrt: [a], y: g.cast(g.cast(a.v, 'float32'), 'float64') }; }],
];

for (const [name, build] of cases) {
  test(`rule ${name} matches finite differences`, async () => {
    // Erf and Cast go through float32 (no float64 Erf kernel), so they get a float32-sized step and tolerance.
    const f32 = /Erf|Cast/.test(name);
    const { maxRelErr } = await gradCheck(build, 1, f32 ? 1e-2 : 1e-6);
    const tol = f32 ? 2e-3 : TOL;
    assert.ok(maxRelErr < tol, `${name}: max relative error ${maxRelErr}`);
  });
}

test('every rule in the table has a finite-difference case', () => {
  const covered = new Set(['Add', 'Sub', 'Mul', 'Div', 'Neg', 'Identity', 'Pow', 'Sqrt', 'Exp', 'Log', 'Tanh', 'Sigmoid', 'Erf', 'Softmax', 'LogSoftmax',
    'ReduceSum', 'ReduceMean', 'ReduceMax', 'MatMul', 'Reshape', 'Transpose', 'Concat', 'Slice', 'Gather', 'GatherElements', 'Expand', 'Unsqueeze', 'Squeeze', 'Where', 'Cast']);
  for (const op of Object.keys(RULES)) assert.ok(covered.has(op), `rule ${op} has no gradient check`);
});

test('composed RMSNorm and fan-out (x used three times) match finite differences', async () => {
  const { maxRelErr } = await gradCheck((g) => {
    const r = rng(40);
    const x = input(g, 'x', [2, 3, 8], r);
    const w = input(g, 'w', [8], r);
    const ms = g.reduceMean(g.pow(x.v, g.scalar('float64', 2)), [-1], true);
    const n = g.mul(g.div(x.v, g.sqrt(g.add(ms, g.scalar('float64', 1e-5)))), w.v);
    return { wrt: [x, w], y: g.add(n, g.mul(x.v, x.v)) };
  });
  assert.ok(maxRelErr < TOL, `max relative error ${maxRelErr}`);
});

test('hand-checked: d(x*x + 3x)/dx = 2x + 3; unused input gets zeros', async () => {
  const g = new Graph('hand');
  const x = g.input('x', 'float64', [3]);
  const unused = g.input('u', 'float64', [2]);
  const loss = g.reduceSum(g.add(g.mul(x, x), g.mul(g.scalar('float64', 3), x)), [0], false);
  g.output(loss, 'loss');
  const grads = buildBackward(g, loss, [x, unused]);
  g.output(grads.get(x)!, 'dx');
  g.output(grads.get(unused)!, 'du');
  const s = await Session.create('hand', toModelProto(g), 'cpu');
  const res = await s.run({ x: { dtype: 'float64', dims: [3], data: Float64Array.from([1, -2, 0.5]) }, u: { dtype: 'float64', dims: [2], data: Float64Array.from([7, 8]) } });
  assert.deepEqual(Array.from(res.dx.data as Float64Array), [5, -1, 4]);
  assert.deepEqual(Array.from(res.du.data as Float64Array), [0, 0]);
  await s.release();
});

test('an integer input is refused when the backward graph is built', () => {
  const g = new Graph('int');
  const i = g.input('i', 'int64', [3]);
  const f = g.cast(i, 'float64');
  assert.throws(() => buildBackward(g, g.reduceSum(f, [0], false), [i]), /not floating point/);
});

test('a missing rule fails at build time naming the op and node', () => {
  const g = new Graph('norule');
  const x = g.input('x', 'float64', [3]);
  const [y] = g.node('Abs', [x], {}, [{ dtype: 'float64', shape: [3] }]);
  assert.throws(() => buildBackward(g, g.reduceSum(y, [0], false), [x]), /no derivative rule for op Abs \(node Abs\)/);
});

test('frozen operands get no backward nodes in the serialised model (no dW for a weight)', async () => {
  const { liveNodes } = await import('../src/engine/graph/serialize');
  const g = new Graph('frozen');
  const x = g.input('x', 'float64', [4, 3]);
  const w = g.input('w', 'float64', [3, 5]);
  const loss = g.reduceSum(g.matmul(x, w), [0, 1], false);
  const grads = buildBackward(g, loss, [x]);
  g.output(grads.get(x)!, 'dx');
  const live = liveNodes(g);
  // dw = xᵀ · dy would be a MatMul reading Transpose(x): it must be gone; dx = dy · wᵀ must stay.
  const readsTransposed = (n: (typeof live)[number], v: typeof x) => n.inputs.some((i) => i?.producer?.op === 'Transpose' && i.producer.inputs[0] === v);
  assert.equal(live.filter((n) => n.op === 'MatMul' && readsTransposed(n, x)).length, 0);
  assert.equal(live.filter((n) => n.op === 'MatMul' && readsTransposed(n, w)).length, 1);
});

test('Gather\'s gradient adds heavily repeated rows exactly, run after run, on the multithreaded CPU provider', async () => {
  // Training the demo embeds a batch in which a few tokens repeat thousands of times; a scatter-add that
  // updates rows from several threads at once loses some of those additions and differs between runs.
  const V = 64, H = 256, N = 16384;
  const g = new Graph('gather-repeats');
  const table = g.input('table', 'float32', [V, H]);
  const idx = g.input('idx', 'int64', [N]);
  const loss = g.reduceSum(g.gather(table, idx), [0, 1], false);
  g.output(loss, 'loss');
  g.output(buildBackward(g, loss, [table]).get(table)!, 'dtable');
  const s = await Session.create('gather-repeats', toModelProto(g), 'cpu');
  try {
    const ids = BigInt64Array.from({ length: N }, (_, i) => BigInt((i * 7) % 5 === 0 ? 3 : i % 7));
    const counts = new Array<number>(V).fill(0);
    for (const t of ids) counts[Number(t)]++;
    for (let run = 0; run < 3; run++) {
      const res = await s.run({ table: { dtype: 'float32', dims: [V, H], data: new Float32Array(V * H) }, idx: { dtype: 'int64', dims: [N], data: ids } });
      const d = res.dtable.data as Float32Array;
      for (let r = 0; r < V; r++) for (let h = 0; h < H; h += 37) assert.equal(d[r * H + h], counts[r], `row ${r}, column ${h}, run ${run}`);
    }
  } finally {
    await s.release();
  }
});
