// The GPU path, on a real WebGPU adapter (lavapipe in CI): logits and input gradients within float32 tolerance of
// the float64 CPU model, KV-cache decoding equal to full recomputation, a padded batch equal to each prompt alone,
// stories260K's greedy 256 tokens identical to the CPU's, and one seeded optimizer step with the CPU's result.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, argmax } from '../src/engine/language-model';
import { writeTinyModel, type TinyFamily, type TinyOptions } from './helpers/tiny-models';
import { webgpuSkipReason } from './helpers/webgpu';
import { resolveDevice } from '../src/engine/runtime/session';
import { gpuName } from '../src/engine/runtime/gpu-name';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'greater.js');
const IDS = [5, 77, 140, 3, 200, 61, 9, 33, 150, 18, 94];
// Measured on lavapipe: logits within 3e-6 of float64, gradients within 2e-6 relative; the bounds leave room
// for hardware GPUs' other summation orders while still catching a wrong op (errors of 1e-2 and up).
const LOGIT_TOL = 1e-3;
const GRAD_REL_TOL = 1e-3;

const variants: { name: string; family: TinyFamily; opts: TinyOptions }[] = [
  { name: 'llama', family: 'llama', opts: { seed: 11 } },
  { name: 'qwen3', family: 'qwen3', opts: { seed: 31 } },
  { name: 'gemma3_text (soft-caps, sliding window)', family: 'gemma3_text', opts: { seed: 34, config: { attn_logit_softcapping: 20.0, final_logit_softcapping: 15.0 } } },
  { name: 'phi3 (Phi-4-mini layout)', family: 'phi3', opts: { seed: 36 } },
];

let skip: string | null = 'not probed yet';
before(async () => { skip = await webgpuSkipReason(); });

test('auto picks WebGPU when its adapter counts as a GPU, and names it in one line', async (t) => {
  if (skip) return t.skip(skip);
  const r = await resolveDevice('auto', () => null); // lavapipe standing in for a hardware adapter
  assert.equal(r.device, 'webgpu');
  assert.equal(r.note, `auto: using WebGPU on ${gpuName() ?? 'the GPU (its name is not known here)'}`);
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const v of variants) {
  describe(`webgpu: ${v.name}`, () => {
    let dir = '';
    let cpu: LanguageModel | undefined;
    let gpu: LanguageModel | undefined;
    before(async () => {
      if (skip) return;
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-webgpu-${v.family}-`));
      writeTinyModel(dir, v.family, v.opts);
      cpu = await LanguageModel.load(dir, { dtype: 'float64', device: 'cpu' });
      gpu = await LanguageModel.load(dir, { dtype: 'float32', device: 'webgpu' });
    });
    after(async () => {
      await cpu?.dispose();
      await gpu?.dispose();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('logits and input gradient within float32 tolerance of the float64 CPU model', async (t) => {
      if (skip) return t.skip(skip);
      const V = cpu!.config.vocabSize;
      const [ref] = await cpu!.logits([IDS]);
      const [got] = await gpu!.logits([IDS]);
      const d = maxAbsDiff(got, ref);
      assert.ok(d < LOGIT_TOL, `logits differ by ${d}`);
      let worstGrad = 0;
      assert.ok(maxAbsDiff(ref.subarray(3 * V, 4 * V), new Float64Array(V)) > 0.5, 'flat logits prove nothing');
      const targets = [{ position: 6, id: 42, temperature: 0.2 }, { position: 10, id: 100 }];
      const [g64] = await cpu!.inputGradient([{ ids: IDS, targets, gradPositions: [0, 3, 7] }]);
      const [g32] = await gpu!.inputGradient([{ ids: IDS, targets, gradPositions: [0, 3, 7] }]);
      assert.ok(Math.abs(g32.loss - g64.loss) < 1e-4 * Math.max(1, Math.abs(g64.loss)), `loss ${g32.loss} vs ${g64.loss}`);
      g64.grad.forEach((a, k) => {
        let diff = 0, norm = 0;
        for (let i = 0; i < a.length; i++) { diff += (g32.grad[k][i] - a[i]) ** 2; norm += a[i] ** 2; }
        assert.ok(norm > 1e-12, 'zero gradient proves nothing');
        assert.ok(Math.sqrt(diff / norm) < GRAD_REL_TOL, `gradient ${k}: relative error ${Math.sqrt(diff / norm)}`);
        worstGrad = Math.max(worstGrad, Math.sqrt(diff / norm));
      });
      console.log(`# ${v.name} on webgpu: logits within ${d.toExponential(1)} of float64, input gradient relative error ${worstGrad.toExponential(1)}`);
    });

    test('KV-cache decoding equals full recomputation; a padded batch equals each prompt alone', async (t) => {
      if (skip) return t.skip(skip);
      const prompt = IDS.slice(0, 5);
      const V = gpu!.config.vocabSize;
      const [gen] = await gpu!.generate([prompt], { maxNewTokens: 12, stopIds: [] });
      const seq = [...prompt];
      for (let i = 0; i < 12; i++) {
        const [l] = await gpu!.logitsAt([seq], [[seq.length - 1]]);
        seq.push(argmax(l, 0, V));
      }
      assert.deepEqual(gen.ids, seq.slice(prompt.length));
      const prompts = [IDS.slice(0, 2), IDS, IDS.slice(3, 9)];
      const batch = await gpu!.generate(prompts, { maxNewTokens: 8, stopIds: [] });
      for (const [i, p] of prompts.entries()) {
        const [alone] = await gpu!.generate([p], { maxNewTokens: 8, stopIds: [] });
        assert.deepEqual(batch[i].ids, alone.ids, `prompt ${i}`);
      }
    });
  });
}

function cli(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: process.env });
  assert.equal(r.status, 0, `greater ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

const stories = path.resolve(root, '..', 'shared', 'models', 'stories260K');
test('stories260K: greedy 256 tokens on webgpu are the CPU\'s, token for token', async (t) => {
  if (skip) return t.skip(skip);
  if (!fs.existsSync(path.join(stories, 'stories260K.bin'))) return t.skip(`${stories} is absent`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-webgpu-stories-'));
  try {
    cli(['convert', 'llama2c', '--checkpoint', path.join(stories, 'stories260K.bin'), '--tokenizer', path.join(stories, 'tok512.bin'), '--out', path.join(dir, 'm')]);
    const gen = (device: string) => JSON.parse(cli(['generate', '--model', path.join(dir, 'm'), '--ids', '1', '--max-new-tokens', '256', '--json', '--device', device]).stdout) as { ids: number[] };
    const onGpu = gen('webgpu').ids;
    assert.equal(onGpu.length, 256);
    assert.deepEqual(onGpu, gen('cpu').ids);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('one seeded optimizer step on the built-in demo gives the CPU\'s prompt and score on webgpu', async (t) => {
  if (skip) return t.skip(skip);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-webgpu-step-'));
  try {
    const step = (device: string) => {
      const r = cli(['optimize', '--steps', '1', '--train-size', '9', '--held-out', '0', '--estimate=false', '--json-events', '--device', device, '--out', path.join(out, device)]);
      const ev = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; prompt?: string; score?: number });
      return ev.find((e) => e.kind === 'step')!;
    };
    const g = step('webgpu');
    const c = step('cpu');
    assert.equal(g.prompt, c.prompt);
    assert.ok(Math.abs(g.score! - c.score!) < 1e-4, `score ${g.score} vs ${c.score}`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
