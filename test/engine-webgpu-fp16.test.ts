// --precision fp16 on a real WebGPU adapter (lavapipe in CI: it offers Dawn's shader-f16): float16 weights and
// matrix products, float32 norms, softmax, loss and gradients. Against the float32 CPU model: logits and input
// gradients within stated tolerances, and the GReaTer candidate ranking (the 40 smallest E[c]·g over the whole
// vocabulary) mostly the same, greedy tokens changed only at float32 near-ties. Bad combinations are one line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, convertLlama2c, type FloatArray } from '../src/engine/index';
import { resolvePrecision } from '../src/engine/precision';
import { writeTinyModel, type TinyFamily } from './helpers/tiny-models';
import { webgpuSkipReason } from './helpers/webgpu';

// Measured on lavapipe: logits within 0.3–0.7 % of the largest logit, input gradients within 0.4–1.4 % of the
// largest component (float16 keeps 11 bits); the bounds are 3–6× that, and a float32 op in float16 by mistake or
// a wrong cast shows up as errors of 10 % and more.
const LOGIT_TOL = 0.02;
const GRAD_TOL = 0.05;
const TOP = 40;
const MIN_OVERLAP = 0.9;

let skip: string | null = 'not probed yet';
before(async () => { skip = await webgpuSkipReason(); });

test('fp16 is refused in one line where it cannot run', async () => {
  await assert.rejects(resolvePrecision('fp16', 'cpu', 'float32', 'none'), /--precision fp16 runs on WebGPU only \(--device webgpu\), not on cpu/);
  await assert.rejects(resolvePrecision('fp16', 'webgpu', 'float32', 'int8'), /do not combine/);
  assert.equal(await resolvePrecision('auto', 'cpu', 'float32', 'none'), 'fp32');
});

/** Ids of the `k` smallest E[c]·g over the vocabulary: GReaTer's candidate order at one position. */
function topCandidates(table: FloatArray, g: FloatArray, k: number): Set<number> {
  const H = g.length;
  const scores: [number, number][] = [];
  for (let c = 0; c < table.length / H; c++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += table[c * H + j] * g[j];
    scores.push([s, c]);
  }
  scores.sort((a, b) => a[0] - b[0]);
  return new Set(scores.slice(0, k).map(([, c]) => c));
}

/** Logit and gradient errors (relative to the largest value) and the mean top-40 overlap over gradient positions. */
async function compare(dir: string, ids: number[], targets: { position: number; id: number }[]): Promise<{ logit: number; grad: number; overlap: number; greedySame: number; flipGap: number }> {
  const cpu = await LanguageModel.load(dir, { withoutTokenizer: true });
  const gpu = await LanguageModel.load(dir, { withoutTokenizer: true, device: 'webgpu', precision: 'fp16' });
  try {
    assert.equal(gpu.precision, 'fp16');
    const [la] = await cpu.logits([ids]);
    const [lb] = await gpu.logits([ids]);
    let dl = 0, ml = 0;
    la.forEach((v, i) => { dl = Math.max(dl, Math.abs(v - lb[i])); ml = Math.max(ml, Math.abs(v)); });
    const item = { ids, targets };
    const [ga] = await cpu.inputGradient([item]);
    const [gb] = await gpu.inputGradient([item]);
    let dg = 0, mg = 0, overlap = 0;
    ga.grad.forEach((row, p) => {
      row.forEach((v, j) => { dg = Math.max(dg, Math.abs(v - gb.grad[p][j])); mg = Math.max(mg, Math.abs(v)); });
      const a = topCandidates(cpu.embeddingTable, row, TOP);
      const b = topCandidates(cpu.embeddingTable, gb.grad[p], TOP);
      overlap += [...a].filter((c) => b.has(c)).length / TOP;
    });
    // greedy decoding through the device-resident cache, against the CPU's
    const [a] = await cpu.generate([ids], { maxNewTokens: 16, stopIds: [] });
    const [b] = await gpu.generate([ids], { maxNewTokens: 16, stopIds: [] });
    let greedySame = 0;
    while (greedySame < 16 && a.ids[greedySame] === b.ids[greedySame]) greedySame++;
    // where they part, float32's margin between its token and fp16's, relative to the largest logit there
    let flipGap = 0;
    if (greedySame < 16) {
      const seq = [...ids, ...a.ids.slice(0, greedySame)];
      const [row] = await cpu.logitsAt([seq], [[seq.length - 1]]);
      flipGap = (row[a.ids[greedySame]] - row[b.ids[greedySame]]) / Math.max(...Array.from(row, Math.abs));
    }
    return { logit: dl / ml, grad: dg / mg, overlap: overlap / ga.grad.length, greedySame, flipGap };
  } finally {
    await cpu.dispose();
    await gpu.dispose();
  }
}

const FAMILIES: TinyFamily[] = ['llama', 'qwen2', 'gemma2', 'qwen3', 'gemma3_text', 'phi3', 'granite', 'mistral'];
const IDS = [5, 77, 140, 3, 200, 61, 9, 33, 150, 18, 94];
const TARGETS = [{ position: 8, id: 150 }, { position: 9, id: 18 }, { position: 10, id: 94 }];

describe('webgpu fp16 vs cpu fp32', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-fp16-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const family of FAMILIES) {
    test(family, async (t) => {
      if (skip) return t.skip(skip);
      const dir = path.join(tmp, family);
      writeTinyModel(dir, family, { seed: 21 });
      const r = await compare(dir, IDS, TARGETS);
      console.log(`# fp16 ${family}: logits ${(100 * r.logit).toFixed(2)} %, gradient ${(100 * r.grad).toFixed(2)} %, top-${TOP} E[c]·g overlap ${(100 * r.overlap).toFixed(1)} %, greedy ${r.greedySame}/16 tokens before the first change${r.greedySame < 16 ? ` (float32 margin there ${(100 * r.flipGap).toFixed(2)} %)` : ''}`);
      assert.ok(r.logit <= LOGIT_TOL, `logit error ${r.logit}`);
      assert.ok(r.grad <= GRAD_TOL, `gradient error ${r.grad}`);
      assert.ok(r.overlap >= MIN_OVERLAP, `top-${TOP} overlap ${r.overlap}`);
      // a greedy token may change only where float32's top two are closer than fp16's logit error
      assert.ok(r.flipGap <= LOGIT_TOL, `greedy token ${r.greedySame} changed with a float32 margin of ${r.flipGap}`);
    });
  }

  const stories = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
  test('stories260K (real weights)', async (t) => {
    if (skip) return t.skip(skip);
    if (!fs.existsSync(path.join(stories, 'stories260K.bin'))) return t.skip(`${stories} is absent`);
    const dir = path.join(tmp, 'stories260K');
    convertLlama2c({ checkpoint: path.join(stories, 'stories260K.bin'), tokenizer: path.join(stories, 'tok512.bin'), out: dir });
    // "Once upon a time, there was a little girl named Lily." as stories260K generates it, then its own tokens as targets
    const cpu = await LanguageModel.load(dir, { withoutTokenizer: true });
    const [gen] = await cpu.generate([[1]], { maxNewTokens: 24, stopIds: [] });
    await cpu.dispose();
    const ids = [1, ...gen.ids];
    const targets = [20, 21, 22, 23].map((p) => ({ position: p, id: ids[p + 1] }));
    const r = await compare(dir, ids, targets);
    console.log(`# fp16 stories260K: logits ${(100 * r.logit).toFixed(2)} %, gradient ${(100 * r.grad).toFixed(2)} %, top-${TOP} E[c]·g overlap ${(100 * r.overlap).toFixed(1)} %, greedy ${r.greedySame}/16 tokens before the first change${r.greedySame < 16 ? ` (float32 margin there ${(100 * r.flipGap).toFixed(2)} %)` : ''}`);
    assert.ok(r.logit <= LOGIT_TOL, `logit error ${r.logit}`);
    assert.ok(r.grad <= GRAD_TOL, `gradient error ${r.grad}`);
    assert.ok(r.overlap >= MIN_OVERLAP, `top-${TOP} overlap ${r.overlap}`);
    // a greedy token may change only where float32's top two are closer than fp16's logit error
      assert.ok(r.flipGap <= LOGIT_TOL, `greedy token ${r.greedySame} changed with a float32 margin of ${r.flipGap}`);
  });
});
