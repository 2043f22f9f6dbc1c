// Weight-only quantization (--quantize int8|int4): the block format against its definition, onnxruntime's
// MatMulNBits against a float64 product with the dequantized weights, and a quantized model against the same
// model in float32 (logits within a stated tolerance, greedy tokens mostly equal, gradients untouched).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Graph } from '../src/engine/graph/ops';
import { toModelProto } from '../src/engine/graph/serialize';
import { LanguageModel, UserError, convertLlama2c } from '../src/engine/index';
import { QuantBits, dequantizeMatrix, quantizeMatrix } from '../src/engine/model/quantize';
import { parseQuantize, resolveQuantize } from '../src/engine/precision';
import { Prng } from './helpers/prng';
import { writeTinyModel } from './helpers/tiny-models';

function randomMatrix(n: number, seed: number): Float32Array {
  const r = new Prng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

for (const bits of [8, 4] as QuantBits[]) {
  test(`${bits}-bit blocks: every weight within half a step of its value, zeros exact, K not a multiple of the block`, () => {
    const N = 5, K = 48; // K = 1.5 blocks of 32: the last block is padded
    const w = randomMatrix(N * K, bits);
    w[7] = 0;
    const q = quantizeMatrix(w, N, K, bits, 32);
    assert.equal(q.packed.length, (N * 2 * 32 * bits) / 8);
    const d = dequantizeMatrix(q);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const scale = q.scales[n * 2 + Math.floor(k / 32)];
        assert.ok(Math.abs(d[n * K + k] - w[n * K + k]) <= scale / 2 + 1e-6, `w[${n},${k}]`);
      }
    }
    assert.equal(d[7], 0);
  });
}

/** x [M,K] · dequant(W)ᵀ through MatMulNBits on CPU. */
async function runMatMulNBits(x: Float32Array, M: number, w: Float32Array, N: number, K: number, bits: QuantBits, accuracyLevel: number) {
  const q = quantizeMatrix(w, N, K, bits);
  const kb = Math.ceil(K / q.blockSize);
  const g = new Graph('mnb');
  const xi = g.input('x', 'float32', [M, K]);
  const B = g.constant({ dtype: 'uint8', dims: [N, kb, (q.blockSize * bits) / 8], data: q.packed });
  const s = g.constant({ dtype: 'float32', dims: [N * kb], data: q.scales });
  const z = g.constant({ dtype: 'uint8', dims: [N, q.zeroPoints.length / N], data: q.zeroPoints });
  g.output(g.matMulNBits(xi, B, s, z, { K, N, bits, blockSize: q.blockSize, accuracyLevel }), 'y');
  const sess = await ort.InferenceSession.create(toModelProto(g));
  const y = (await sess.run({ x: new ort.Tensor('float32', x, [M, K]) })).y.data as Float32Array;
  await sess.release();
  return { y, dq: dequantizeMatrix(q) };
}

for (const bits of [8, 4] as QuantBits[]) {
  test(`MatMulNBits ${bits}-bit on CPU multiplies by exactly the dequantized weights (float64 reference)`, async () => {
    const M = 3, N = 40, K = 96;
    const x = randomMatrix(M * K, 100 + bits), w = randomMatrix(N * K, 200 + bits);
    const { y, dq } = await runMatMulNBits(x, M, w, N, K, bits, 0);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let ref = 0;
        for (let k = 0; k < K; k++) ref += x[m * K + k] * dq[n * K + k];
        assert.ok(Math.abs(y[m * N + n] - ref) <= 1e-4 * (1 + Math.abs(ref)), `y[${m},${n}] = ${y[m * N + n]}, reference ${ref}`);
      }
    }
  });
}

test('bad quantization choices are one clear line', () => {
  assert.throws(() => parseQuantize('int9'), (e: Error) => e instanceof UserError && /unknown quantization 'int9'; valid: none, int8, int4, auto/.test(e.message));
  assert.throws(() => resolveQuantize('int8', 'webgpu', 'float32', 1e9), /--quantize int8 runs on the CPU only .* not on webgpu/);
  assert.throws(() => resolveQuantize('int4', 'cpu', 'float64', 1e9), /needs float32/);
  assert.equal(resolveQuantize('auto', 'webgpu', 'float32', 1e9), 'none');
  assert.equal(resolveQuantize('auto', 'cpu', 'float32', 1e3), 'none');
  assert.equal(resolveQuantize('auto', 'cpu', 'float32', 1e9), 'int8');
});

const IDS = [5, 77, 140, 3, 200, 61, 9, 33];

for (const [mode, tol] of [['int8', 0.05], ['int4', 0.3]] as const) {
  test(`${mode}: logits within ${tol} of the float32 range, input gradients unchanged`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-quant-${mode}-`));
    try {
      writeTinyModel(dir, 'qwen2', { seed: 3 });
      const fp = await LanguageModel.load(dir, { withoutTokenizer: true });
      const qm = await LanguageModel.load(dir, { withoutTokenizer: true, quantize: mode });
      try {
        assert.equal(qm.quantize, mode);
        const [a] = await fp.logits([IDS]);
        const [b] = await qm.logits([IDS]);
        let range = 0, diff = 0;
        for (let i = 0; i < a.length; i++) {
          range = Math.max(range, Math.abs(a[i]));
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        console.log(`# ${mode}: max |Δlogit| ${diff.toExponential(2)} of max |logit| ${range.toFixed(2)}`);
        assert.ok(diff > 0, 'quantized logits should differ from float32 ones (is the quantized graph used?)');
        assert.ok(diff <= tol * range, `max |Δlogit| ${diff} > ${tol} × ${range}`);
        // the gradient graph keeps float32 weights: bit-identical gradients
        const item = { ids: IDS, targets: [{ position: 6, id: 33 }] };
        const [ga] = await fp.inputGradient([item]);
        const [gb] = await qm.inputGradient([item]);
        assert.deepEqual(gb.grad, ga.grad);
      } finally {
        await fp.dispose();
        await qm.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

const stories = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
const haveStories = fs.existsSync(path.join(stories, 'stories260K.bin'));
if (!haveStories) console.log(`# skipping the stories260K quantization test: ${stories} is absent`);

test('stories260K (real weights): int8 greedy decoding equals float32 for the first 64 tokens', { skip: !haveStories }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-quant-stories-'));
  try {
    convertLlama2c({ checkpoint: path.join(stories, 'stories260K.bin'), tokenizer: path.join(stories, 'tok512.bin'), out: path.join(dir, 'm') });
    const run = async (quantize: 'none' | 'int8') => {
      const m = await LanguageModel.load(path.join(dir, 'm'), { withoutTokenizer: true, quantize });
      try {
        return (await m.generate([[1]], { maxNewTokens: 64, stopIds: [] }))[0].ids;
      } finally {
        await m.dispose();
      }
    };
    const [a, b] = [await run('none'), await run('int8')];
    let same = 0;
    while (same < a.length && a[same] === b[same]) same++;
    console.log(`# stories260K int8: ${same}/64 greedy tokens before the first change`);
    assert.equal(same, 64);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
