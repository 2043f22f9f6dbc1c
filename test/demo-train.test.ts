// train-demo on a tiny budget (a small shape, a few steps): it writes a loadable model folder, lowers the
// loss, and the same seed gives the same weights bit for bit (seeded init, data and batch order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { DEFAULT_TRAIN, TrainOptions, trainDemo } from '../src/demo/train';

function tinyRun(out: string, seed: number): TrainOptions {
  return {
    ...DEFAULT_TRAIN,
    out,
    seed,
    steps: 12,
    batchSize: 8,
    warmup: 2,
    adam: { ...DEFAULT_TRAIN.adam, lr: 1e-2 },
    shape: { hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2, maxPositions: 256 },
    evalQuestions: 0,
    log: () => {},
  };
}

test('train-demo on a tiny budget lowers the loss and is reproducible from its seed', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-train-'));
  try {
    const a = await trainDemo(tinyRun(path.join(root, 'a'), 3));
    assert.equal(a.steps, 12);
    assert.ok(Number.isFinite(a.firstLoss) && Number.isFinite(a.finalLoss));
    assert.ok(a.finalLoss < a.firstLoss - 0.5, `loss ${a.firstLoss} -> ${a.finalLoss}`);
    const b = await trainDemo(tinyRun(path.join(root, 'b'), 3));
    const weights = (d: string) => fs.readFileSync(path.join(root, d, 'model.safetensors'));
    assert.ok(weights('a').equals(weights('b')), 'same seed, different weights');
    assert.equal(b.finalLoss, a.finalLoss);
    const c = await trainDemo({ ...tinyRun(path.join(root, 'c'), 4), steps: 2 });
    assert.ok(!weights('a').equals(weights('c')), 'another seed gave the same weights');
    // The folder is a complete HF model the engine loads, with the chat template and stop token.
    const m = await LanguageModel.load(path.join(root, 'a'));
    try {
      assert.equal(m.config.hiddenSize, 32);
      assert.deepEqual(m.stopIds, [m.encode('<|end|>', { addSpecialTokens: false })[0]]);
      const [g] = await m.generate([m.encode(m.chatTemplate([{ role: 'user', content: 'Add 12 and 30. Use careful reasoning.' }], { addGenerationPrompt: true }), { addSpecialTokens: false })], { maxNewTokens: 4 });
      assert.ok(g.ids.length > 0);
    } finally {
      await m.dispose();
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
