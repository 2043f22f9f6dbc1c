// Resident weights (external-data initializers loaded once per session, the GPU path) must compute
// what weights-as-inputs compute: same logits, same greedy tokens, same input gradients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LanguageModel } from '../src/engine/language-model';
import { sweepOrphans } from '../src/engine/runtime/resident-weights';
import { TinyFamily, writeTinyModel } from './helpers/tiny-models';

const IDS = [5, 77, 140, 3, 200, 61, 9, 33];

for (const family of ['llama', 'qwen2', 'gemma2'] as TinyFamily[]) {
  test(`${family}: resident weights match weights as inputs`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-resident-${family}-`));
    writeTinyModel(dir, family, { seed: 21 });
    const a = await LanguageModel.load(dir, { weights: 'inputs' });
    const b = await LanguageModel.load(dir, { weights: 'resident' });
    try {
      const [la] = await a.logits([IDS]);
      const [lb] = await b.logits([IDS]);
      let diff = 0;
      la.forEach((x, i) => (diff = Math.max(diff, Math.abs(x - lb[i]))));
      assert.ok(diff < 1e-4, `logits differ by ${diff}`);
      const [ga] = await a.generate([IDS.slice(0, 3)], { maxNewTokens: 10, stopIds: [] });
      const [gb] = await b.generate([IDS.slice(0, 3)], { maxNewTokens: 10, stopIds: [] });
      assert.deepEqual(gb.ids, ga.ids);
      const item = { ids: IDS, targets: [{ position: 5, id: 42, temperature: 0.2 }], gradPositions: [2] };
      const [ra] = await a.inputGradient([item]);
      const [rb] = await b.inputGradient([item]);
      assert.ok(Math.abs(ra.loss - rb.loss) < 1e-4);
      ra.grad[0].forEach((x, i) => assert.ok(Math.abs(x - rb.grad[0][i]) < 1e-3 * (1 + Math.abs(x)), `grad[${i}]`));
      assert.equal(b.embeddingRow(7).length, b.config.hiddenSize, 'the embedding table stays on the host');
      await assert.rejects(() => b.weightGradient([item]), /weights: "inputs"/);
    } finally {
      await a.dispose();
      await b.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the weights folder of a process that died without exiting is removed by the next writer, and only such a folder', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-sweep-'));
  try {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const make = (name: string, ageMs: number) => {
      const d = path.join(root, name);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'weights.bin'), 'x');
      const t = (Date.now() - ageMs) / 1000;
      fs.utimesSync(path.join(d, 'weights.bin'), t, t);
      fs.utimesSync(d, t, t);
    };
    make(`greater-weights-${deadPid}-old`, 5 * 60_000);
    make(`greater-weights-${deadPid}-fresh`, 0);
    make(`greater-weights-${process.pid}-mine`, 5 * 60_000);
    make(`greater-weights-${process.ppid}-parent`, 5 * 60_000);
    make('greater-weights-unnamed', 5 * 60_000);
    assert.deepEqual(sweepOrphans(root), [`greater-weights-${deadPid}-old`]);
    assert.deepEqual(fs.readdirSync(root).sort(), [`greater-weights-${deadPid}-fresh`, `greater-weights-${process.pid}-mine`, `greater-weights-${process.ppid}-parent`, 'greater-weights-unnamed'].sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
