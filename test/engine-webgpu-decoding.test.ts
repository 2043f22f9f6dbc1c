// Device-resident decoding on WebGPU (lavapipe in CI): the KV cache stays in GPU memory between steps (each
// present fed back as the next past), prefixes are uploaded once, and the greedy token and suffix/prompt
// log-probs are computed in the graph. It must decode exactly what full recomputation, the host-cache path
// on the same device and the CPU decode, and score what they score.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, argmax } from '../src/engine/index';
import { writeTinyModel } from './helpers/tiny-models';
import { webgpuSkipReason } from './helpers/webgpu';

const PROMPTS = [[5, 77, 140, 3, 200, 61, 9], [5, 77, 140, 3, 33], [5, 77, 140, 3, 200, 61, 9, 33, 150, 18, 94]];
const NEW = 70; // past one 64-column growth chunk of the host cache
const SUFFIXES = [[12, 40, 7], [3], [99, 100]];
const SCORES = PROMPTS.map((p) => [{ position: p.length - 2, id: p[p.length - 1] }, { position: p.length - 1, id: 42 }]);

let skip: string | null = 'not probed yet';
before(async () => { skip = await webgpuSkipReason(); });

for (const family of ['llama', 'gemma3_text'] as const) {
  describe(`webgpu device-resident decoding: ${family}`, () => {
    let dir = '';
    let cpu: LanguageModel | undefined;
    let gpu: LanguageModel | undefined;
    let gpuHostKv: LanguageModel | undefined;
    before(async () => {
      if (skip) return;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-webgpu-kv-${family}-`));
      writeTinyModel(dir, family, { seed: 41 });
      cpu = await LanguageModel.load(dir, { device: 'cpu', withoutTokenizer: true });
      gpu = await LanguageModel.load(dir, { device: 'webgpu', withoutTokenizer: true });
      process.env.GREATER_HOST_KV = '1';
      try {
        gpuHostKv = await LanguageModel.load(dir, { device: 'webgpu', withoutTokenizer: true });
      } finally {
        delete process.env.GREATER_HOST_KV;
      }
    });
    after(async () => {
      await Promise.all([cpu?.dispose(), gpu?.dispose(), gpuHostKv?.dispose()]);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('greedy tokens equal full recomputation, the host cache and the CPU, token for token', async (t) => {
      if (skip) return t.skip(skip);
      assert.ok(gpu!.kvCacheOnDevice && !gpuHostKv!.kvCacheOnDevice && !cpu!.kvCacheOnDevice);
      const V = gpu!.config.vocabSize;
      const onDevice = await gpu!.generate(PROMPTS, { maxNewTokens: NEW, stopIds: [] });
      const seq = [...PROMPTS[0]];
      for (let i = 0; i < NEW; i++) {
        const [l] = await gpu!.logitsAt([seq], [[seq.length - 1]]);
        seq.push(argmax(l, 0, V));
      }
      assert.deepEqual(onDevice[0].ids, seq.slice(PROMPTS[0].length), 'device cache vs full recomputation');
      assert.deepEqual(onDevice.map((g) => g.ids), (await gpuHostKv!.generate(PROMPTS, { maxNewTokens: NEW, stopIds: [] })).map((g) => g.ids), 'device cache vs host cache');
      assert.deepEqual(onDevice.map((g) => g.ids), (await cpu!.generate(PROMPTS, { maxNewTokens: NEW, stopIds: [] })).map((g) => g.ids), 'webgpu vs cpu');
      assert.ok(new Set(onDevice.flatMap((g) => g.ids)).size > 3, 'constant continuations prove little');
    });

    test('prefix cache, suffix scores and prompt scores match the CPU; stops end rows', async (t) => {
      if (skip) return t.skip(skip);
      const [ref] = await cpu!.generate([PROMPTS[0]], { maxNewTokens: 6, stopIds: [] });
      const stopIds = [ref.ids[3]]; // row 0 stops early, the others may not
      const opts = { maxNewTokens: 12, stopIds, suffixes: SUFFIXES, promptScores: SCORES, prefixLengths: [4, 4, 4] };
      for (let round = 0; round < 2; round++) { // the second round reads the prefixes from the cache
        const g = await gpu!.generate(PROMPTS, opts);
        const c = await cpu!.generate(PROMPTS, opts);
        g.forEach((r, b) => {
          assert.deepEqual(r.ids, c[b].ids, `row ${b} tokens`);
          assert.equal(r.finish, c[b].finish, `row ${b} finish`);
          assert.deepEqual(r.suffix!.argmax, c[b].suffix!.argmax, `row ${b} suffix argmax`);
          r.suffix!.logProbs.forEach((lp, j) => assert.ok(Math.abs(lp - c[b].suffix!.logProbs[j]) < 1e-4, `row ${b} suffix ${j}: ${lp} vs ${c[b].suffix!.logProbs[j]}`));
          r.promptLogProbs!.forEach((lp, j) => assert.ok(Math.abs(lp - c[b].promptLogProbs![j]) < 1e-4, `row ${b} prompt score ${j}`));
        });
        assert.equal(g[0].finish, 'stop');
      }
      assert.ok(gpu!.prefixStats.hits >= 3, 'second round used the prefix cache');
    });
  });
}
