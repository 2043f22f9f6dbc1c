// One session over several graphs (graph/gated.ts): each branch computes what its graph computes alone, and a
// model whose forward and gradient graphs share one session computes what two sessions compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gateGraphs } from '../src/engine/graph/gated';
import { gradActivationBytes, gradMicroBatches } from '../src/engine/gradients/gradients';
import { Graph } from '../src/engine/graph/ops';
import { toModelProto } from '../src/engine/graph/serialize';
import { LanguageModel } from '../src/engine/language-model';
import { Session } from '../src/engine/runtime/session';
import { TinyFamily, writeTinyModel } from './helpers/tiny-models';

test('each branch of a gated model returns what its graph returns alone', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-gated-'));
  try {
    const K = 6, N = 4;
    const w = Float32Array.from({ length: K * N }, (_, i) => Math.sin(i + 1));
    fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(w.buffer));
    const weight = (g: Graph) => g.constant({ dtype: 'float32', dims: [K, N], data: new Float32Array(0), external: { location: 'w.bin', offset: 0, length: w.byteLength } }, 'W');
    // Three graphs (two nested Ifs): a product with the shared weight, one with its own constant, one without
    // the weight whose output is also named by another branch.
    const a = new Graph('a');
    a.output(a.matmul(a.input('x', 'float32', ['M', K]), weight(a)), 'y');
    const b = new Graph('b');
    const xb = b.input('x', 'float32', ['M', K]);
    b.output(b.mul(b.matmul(xb, weight(b)), b.scalar('float32', 3)), 'y');
    b.output(b.add(b.input('t', 'int64', [2]), b.ints([1, 1])), 'n');
    const c = new Graph('c');
    c.output(c.add(c.input('t', 'int64', [2]), c.ints([5, 7])), 'n');
    const graphs = { a, b, c };
    const gm = gateGraphs(Object.entries(graphs).map(([name, g]) => ({ name, model: toModelProto(g) })));
    const file = path.join(dir, 'gated.onnx');
    fs.writeFileSync(file, gm.model);
    const views = await Session.createGated('test', file, gm, 'cpu');
    const x = { dtype: 'float32' as const, dims: [2, K], data: Float32Array.from({ length: 2 * K }, (_, i) => i / 7 - 0.5) };
    const t = { dtype: 'int64' as const, dims: [2], data: BigInt64Array.from([10n, 20n]) };
    const feeds = { a: { x }, b: { x, t }, c: { t } };
    for (const [name, g] of Object.entries(graphs)) {
      const modelFile = path.join(dir, `${name}.onnx`);
      fs.writeFileSync(modelFile, toModelProto(g));
      const alone = await Session.create(name, modelFile, 'cpu');
      const want = await alone.run(feeds[name as keyof typeof feeds]);
      const got = await views.get(name)!.run(feeds[name as keyof typeof feeds]);
      assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${name}: its own outputs only`);
      for (const k of Object.keys(want)) {
        assert.deepEqual(got[k].dims, want[k].dims, `${name}.${k} dims`);
        assert.deepEqual(Array.from(got[k].data as ArrayLike<number | bigint>), Array.from(want[k].data as ArrayLike<number | bigint>), `${name}.${k}`);
      }
      await alone.release();
    }
    for (const v of views.values()) await v.release();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const IDS = [5, 77, 140, 3, 200, 61, 9, 33];

for (const family of ['llama', 'gemma2'] as TinyFamily[]) {
  test(`${family}: forward and gradient in one session match two sessions`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-gated-${family}-`));
    writeTinyModel(dir, family, { seed: 5 });
    process.env.GREATER_SEPARATE_SESSIONS = '1';
    const separate = await LanguageModel.load(dir, { weights: 'resident' });
    delete process.env.GREATER_SEPARATE_SESSIONS;
    const lazy = await LanguageModel.load(dir, { weights: 'resident' }); // forward-only first, replaced at the gradient
    const eager = await LanguageModel.load(dir, { weights: 'resident', gradients: true });
    const item = { ids: IDS, targets: [{ position: 5, id: 42, temperature: 0.2 }, { position: 6, id: 9, temperature: 1 }], gradPositions: [1, 2] };
    try {
      const want = { logits: (await separate.logits([IDS]))[0], gen: (await separate.generate([IDS.slice(0, 3)], { maxNewTokens: 8, stopIds: [] }))[0].ids, grad: (await separate.inputGradient([item]))[0] };
      for (const [name, m] of [['lazy', lazy], ['eager', eager]] as const) {
        assert.deepEqual((await m.generate([IDS.slice(0, 3)], { maxNewTokens: 8, stopIds: [] }))[0].ids, want.gen, `${name}: greedy tokens`);
        const [g] = await m.inputGradient([item]);
        assert.ok(Math.abs(g.loss - want.grad.loss) < 1e-5, `${name}: loss ${g.loss} vs ${want.grad.loss}`);
        g.grad.forEach((row, r) => row.forEach((v, i) => assert.ok(Math.abs(v - want.grad.grad[r][i]) < 1e-5 * (1 + Math.abs(v)), `${name}: grad[${r}][${i}]`)));
        // after the gradient, decoding runs on the shared session
        const [l] = await m.logits([IDS]);
        l.forEach((v, i) => assert.ok(Math.abs(v - want.logits[i]) < 1e-5, `${name}: logit ${i}`));
        assert.equal(m.liveSessions, 1, `${name}: one session holds the weights`);
      }
      assert.equal(separate.liveSessions, 2, 'GREATER_SEPARATE_SESSIONS=1 keeps a forward and a gradient session');
    } finally {
      for (const m of [separate, lazy, eager]) await m.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('input gradients split into micro-batches by activation memory equal one batch, item for item, in order', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-microbatch-'));
  writeTinyModel(dir, 'qwen2', { seed: 7 });
  const m = await LanguageModel.load(dir, { dtype: 'float64' });
  try {
    // lengths differ so that padding differs between the one batch and the groups
    const items = [8, 3, 6, 8, 5].map((n, k) => ({
      ids: IDS.slice(0, n).map((id) => (id + 13 * k) % m.config.vocabSize),
      targets: [{ position: n - 2, id: 40 + k, temperature: 0.5 }],
      gradPositions: [0, n - 1],
    }));
    const perToken = gradActivationBytes(m.config, 8, 8);
    const budget = 2 * 8 * perToken; // two padded 8-token rows
    const groups = gradMicroBatches(m.config, items.map((it) => it.ids.length), 8, budget);
    assert.ok(groups.length >= 3, `the budget splits the batch (groups ${JSON.stringify(groups)})`);
    assert.deepEqual(groups.flat(), [0, 1, 2, 3, 4], 'every item once, in order');
    const whole = await m.inputGradient(items, { activationBudget: Infinity });
    const split = await m.inputGradient(items, { activationBudget: budget });
    assert.equal(split.length, items.length);
    split.forEach((r, k) => {
      assert.ok(Math.abs(r.loss - whole[k].loss) < 1e-12, `item ${k}: loss ${r.loss} vs ${whole[k].loss}`);
      r.grad.forEach((row, j) => row.forEach((v, h) => assert.ok(Math.abs(v - whole[k].grad[j][h]) < 1e-12, `item ${k} grad[${j}][${h}]`)));
    });
    // items differ, so a mix-up of the order would show
    assert.notDeepEqual(Array.from(whole[0].grad[0]), Array.from(whole[1].grad[0]));
  } finally {
    await m.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
