// Each model family on seeded random tiny HF folders: logits against an independent naive float64
// reference, the input gradient against float64 finite differences, KV-cache decoding against full
// recomputation, and batched (padded) generation against each prompt alone.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, argmax } from '../src/engine/language-model';
import { TinyFamily, TinyOptions, writeTinyModel } from './helpers/tiny-models';
import { referenceLogits } from './helpers/reference-model';

const variants: { name: string; family: TinyFamily; opts: TinyOptions }[] = [
  { name: 'llama (untied head)', family: 'llama', opts: { seed: 11 } },
  { name: 'llama (tied, llama3 rope scaling)', family: 'llama', opts: { seed: 12, tied: true, ropeScalingLlama3: true } },
  { name: 'llama (bf16 weights, sharded)', family: 'llama', opts: { seed: 15, dtype: 'BF16', sharded: true } },
  { name: 'qwen2', family: 'qwen2', opts: { seed: 13 } },
  { name: 'gemma2', family: 'gemma2', opts: { seed: 14 } },
  { name: 'qwen3 (tied, head_dim ≠ hidden/heads)', family: 'qwen3', opts: { seed: 31 } },
  // transformers ≥ 5 key forms: rope_parameters instead of rope_theta, dtype instead of torch_dtype; biases on q/k/v/o
  { name: 'qwen3 (untied, attention_bias, rope_parameters, dtype)', family: 'qwen3', opts: { seed: 32, tied: false, config: { attention_bias: true, rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'default', rope_theta: 1000000.0 }, torch_dtype: undefined, dtype: 'float32' } } },
  { name: 'gemma3_text (layer_types)', family: 'gemma3_text', opts: { seed: 33 } },
  {
    name: 'gemma3_text (nested rope_parameters, linear global scaling, soft-caps)', family: 'gemma3_text',
    opts: { seed: 34, config: { rope_theta: undefined, rope_local_base_freq: undefined, rope_scaling: undefined, attn_logit_softcapping: 20.0, final_logit_softcapping: 15.0, rope_parameters: { full_attention: { rope_type: 'linear', factor: 4.0, rope_theta: 500000.0 }, sliding_attention: { rope_type: 'default', rope_theta: 10000.0 } } } },
  },
  { name: 'gemma3 (multimodal checkpoint: text_config, language_model.*, pattern, bf16)', family: 'gemma3', opts: { seed: 35, dtype: 'BF16' } },
  { name: 'phi3 (Phi-4-mini layout: fused qkv/gate_up, partial rotary, longrope, sliding window)', family: 'phi3', opts: { seed: 36 } },
  { name: 'phi3 (Phi-3 layout: untied, full rotary, no rope scaling, no window)', family: 'phi3', opts: { seed: 37, tied: false, config: { partial_rotary_factor: undefined, rope_scaling: null, sliding_window: null } } },
  { name: 'smollm3 (NoPE layer with sliding window)', family: 'smollm3', opts: { seed: 38 } },
  { name: 'granite (multipliers)', family: 'granite', opts: { seed: 39 } },
  { name: 'mistral (head_dim ≠ hidden/heads, sliding window)', family: 'mistral', opts: { seed: 40 } },
  { name: 'ministral (layer_types)', family: 'ministral', opts: { seed: 41 } },
];

const IDS = [5, 77, 140, 3, 200, 61, 9, 33, 150, 18, 94]; // 11 tokens: longer than every tiny sliding window (4 or 5)

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const v of variants) {
  describe(`family ${v.name}`, () => {
    let dir = '';
    let m64: LanguageModel;
    let m32: LanguageModel;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-${v.family}-`));
      writeTinyModel(dir, v.family, v.opts);
      m64 = await LanguageModel.load(dir, { dtype: 'float64', weights: 'inputs' }); // inputs: the training checks change weights
      m32 = await LanguageModel.load(dir, { dtype: 'float32' });
    });
    after(async () => {
      await m64.dispose();
      await m32.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('float64 logits equal the naive reference; float32 within 1e-3', async () => {
      const ref = referenceLogits(dir, IDS);
      const V = m64.config.vocabSize;
      const [l64] = await m64.logits([IDS]);
      const [l32] = await m32.logits([IDS]);
      ref.forEach((row, i) => {
        assert.ok(maxAbsDiff(l64.subarray(i * V, (i + 1) * V), row) < 1e-9, `row ${i} float64: ${maxAbsDiff(l64.subarray(i * V, (i + 1) * V), row)}`);
        assert.ok(maxAbsDiff(l32.subarray(i * V, (i + 1) * V), row) < 1e-3, `row ${i} float32`);
      });
      // the logits must not be trivially flat, or the comparison proves nothing
      assert.ok(maxAbsDiff(ref[3], new Float64Array(V)) > 0.5);
    });

    test('input gradient matches float64 finite differences (relative error < 1e-3)', async () => {
      const targets = [{ position: 6, id: 42, temperature: 0.2 }, { position: 9, id: 7 }, { position: 10, id: 100, weight: 0.3 }];
      const positions = [0, 3, 7];
      const [res] = await m64.inputGradient([{ ids: IDS, targets, gradPositions: positions }]);
      const H = m64.config.hiddenSize;
      const eps = 1e-5;
      for (const [k, p] of positions.entries()) {
        const base = Float64Array.from(m64.embeddingRow(IDS[p]));
        const num = new Float64Array(H);
        for (let d = 0; d < H; d++) {
          const plus = Float64Array.from(base); plus[d] += eps;
          const minus = Float64Array.from(base); minus[d] -= eps;
          const [lp] = await m64.inputGradient([{ ids: IDS, targets, gradPositions: [p], embeddingOverrides: new Map([[p, plus]]) }]);
          const [lm] = await m64.inputGradient([{ ids: IDS, targets, gradPositions: [p], embeddingOverrides: new Map([[p, minus]]) }]);
          num[d] = (lp.loss - lm.loss) / (2 * eps);
        }
        const a = res.grad[k];
        let diff = 0, norm = 0;
        for (let d = 0; d < H; d++) { diff += (a[d] - num[d]) ** 2; norm += num[d] ** 2; }
        assert.ok(norm > 1e-12, `gradient at position ${p} is zero: nothing checked`);
        const rel = Math.sqrt(diff / norm);
        assert.ok(rel < 1e-3, `position ${p}: relative error ${rel}`);
      }
      // the loss is the weighted cross-entropy the CLI documents
      const ref = referenceLogits(dir, IDS);
      const ce = (row: Float64Array, id: number, T: number) => {
        const z = row.map((x) => x / T); const m = Math.max(...z);
        return -(z[id] - m - Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0)));
      };
      const expected = ce(ref[6], 42, 0.2) / 3 + ce(ref[9], 7, 1) / 3 + 0.3 * ce(ref[10], 100, 1);
      assert.ok(Math.abs(res.loss - expected) < 1e-8, `loss ${res.loss} vs ${expected}`);
    });

    test('weight gradients (training) match float64 finite differences, tied embeddings included', async () => {
      const items = [
        { ids: IDS.slice(0, 7), targets: [{ position: 3, id: IDS[4] }, { position: 6, id: 12 }] },
        { ids: IDS.slice(2, 11), targets: [{ position: 8, id: 99, temperature: 0.5 }] },
      ];
      const { loss, grads } = await m64.weightGradient(items);
      const weights = m64.weightMap;
      // k_proj, or Phi-3's fused qkv_proj and gate_up_proj
      const check = ['model.embed_tokens.weight', 'model.layers.1.self_attn.k_proj.weight', 'model.layers.1.self_attn.qkv_proj.weight', 'model.layers.0.mlp.gate_up_proj.weight',
        'model.layers.0.mlp.down_proj.weight', 'model.norm.weight', 'model.layers.0.input_layernorm.weight'].filter((n) => weights.has(n));
      assert.ok(check.length >= 5, `weights checked: ${check.join(', ')}`);
      const eps = 1e-6;
      for (const name of check) {
        const w = weights.get(name)!;
        const g = grads.get(name)!;
        assert.equal(g.length, w.length, name);
        // the entries with the largest gradients, plus one embedding row of a token that is fed in
        const idx = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 3);
        if (name === 'model.embed_tokens.weight') idx.push(IDS[1] * m64.config.hiddenSize + 2);
        for (const i of idx) {
          const orig = w[i];
          const at = async (v: number) => {
            const u = Float64Array.from(w); u[i] = v;
            m64.setWeights(new Map([[name, u]]));
            const r = await m64.weightGradient(items);
            return r.loss;
          };
          const num = ((await at(orig + eps)) - (await at(orig - eps))) / (2 * eps);
          m64.setWeights(new Map([[name, Float64Array.from(w).fill(orig, i, i + 1)]]));
          const rel = Math.abs(num - g[i]) / Math.max(1e-8, Math.abs(num) + Math.abs(g[i]));
          assert.ok(rel < 1e-4, `${name}[${i}]: analytic ${g[i]} vs numeric ${num}`);
        }
      }
      assert.ok(loss > 0);
    });

    test('KV-cache decoding equals greedy full recomputation token for token (and logit for logit)', async () => {
      const prompt = IDS.slice(0, 5);
      const V = m32.config.vocabSize;
      for (const m of [m32, m64]) {
        const stepLogits: Float64Array[] = [];
        const [gen] = await m.generate([prompt], { maxNewTokens: 16, stopIds: [], onLogits: (_t, l) => stepLogits.push(Float64Array.from(l)) });
        const seq = [...prompt];
        for (let t = 0; t < 16; t++) {
          const [l] = await m.logitsAt([seq], [[seq.length - 1]]);
          const tol = m === m64 ? 1e-10 : 1e-4;
          assert.ok(maxAbsDiff(stepLogits[t], l) < tol, `${m.dtype} step ${t}: cached logits differ by ${maxAbsDiff(stepLogits[t], l)}`);
          seq.push(argmax(l, 0, V));
        }
        assert.deepEqual(gen.ids, seq.slice(prompt.length));
      }
    });

    test('a padded batch of different lengths generates what each prompt does alone', async () => {
      const prompts = [IDS.slice(0, 2), IDS, IDS.slice(3, 9)];
      const batch = await m32.generate(prompts, { maxNewTokens: 10, stopIds: [] });
      for (const [i, p] of prompts.entries()) {
        const [alone] = await m32.generate([p], { maxNewTokens: 10, stopIds: [] });
        assert.deepEqual(batch[i].ids, alone.ids, `prompt ${i}`);
      }
    });

    test('suffixes scored through the cache equal teacher forcing of prompt + generation + suffix', async () => {
      const prompts = [IDS.slice(0, 3), IDS, IDS.slice(2, 8)];
      const [probe] = await m64.generate([prompts[0]], { maxNewTokens: 6, stopIds: [] });
      const stopIds = [probe.ids[2]]; // row 0 stops early; the others may run to the length limit
      const suffixes = [[7, 8, 9], [100], [42, 3]];
      const gens = await m64.generate(prompts, { maxNewTokens: 6, stopIds, suffixes });
      assert.ok(gens.some((g) => g.finish === 'stop') && gens.some((g) => g.finish === 'length'), 'both finish kinds are exercised');
      const V = m64.config.vocabSize;
      for (const [b, g] of gens.entries()) {
        const seq = [...prompts[b], ...g.ids, ...suffixes[b]];
        const first = prompts[b].length + g.ids.length;
        const rows = suffixes[b].map((_, j) => first + j - 1);
        const [ref] = await m64.nextTokenLogProbs([seq], [rows]);
        suffixes[b].forEach((tok, j) => {
          const row = ref.subarray(j * V, (j + 1) * V);
          assert.ok(Math.abs(g.suffix!.logProbs[j] - row[tok]) < 1e-9, `row ${b} token ${j}: ${g.suffix!.logProbs[j]} vs ${row[tok]}`);
          assert.equal(g.suffix!.argmax[j], argmax(row, 0, V));
        });
      }
    });

    test('next-token log-probs after cached prefixes equal those of whole sequences (at a prefix\'s end: its stored logits)', async () => {
      const seqs = [IDS.slice(0, 6), IDS, IDS.slice(2, 7)];
      const positions = [[5], [3, 6, 7], [4]];
      const plain = await m64.nextTokenLogProbs(seqs, positions);
      const before = m64.counters.forwardPasses;
      // row 0: the whole sequence is the prefix (no pass for it); row 1: a prefix of 4, rows after it; row 2: none
      const cached = await m64.nextTokenLogProbs(seqs, positions, { prefixLengths: [6, 4, 0] });
      assert.ok(m64.counters.forwardPasses > before);
      cached.forEach((r, b) => r.forEach((x, i) => assert.ok(Math.abs(x - plain[b][i]) < 1e-9, `seq ${b} [${i}]: ${x} vs ${plain[b][i]}`)));
      const only = m64.counters.forwardPasses;
      const again = await m64.nextTokenLogProbs([seqs[0]], [[5]], { prefixLengths: [6] });
      assert.equal(m64.counters.forwardPasses, only, 'a position at a cached prefix\'s end needs no pass');
      again[0].forEach((x, i) => assert.ok(Math.abs(x - plain[0][i]) < 1e-9));
      m64.clearPrefixCache(); // later tests count their own prefix misses
    });

    test('a gradient whose prefix comes from the prefix cache equals the whole-sequence gradient', async () => {
      const ids = [...IDS, 9, 4, 100, 7];
      const items = [
        // the first target sits on the prefix's last row: scored from the logits stored with the prefix
        { ids, targets: [{ position: 3, id: ids[4], weight: 0.3 }, { position: 9, id: 42, temperature: 0.5, weight: 0.7 }], gradPositions: [4, 5, 6] },
        { ids: ids.slice(1, 11), targets: [{ position: 8, id: 5 }], gradPositions: [3, 7] },
        // an override inside the asked prefix shortens it
        { ids: ids.slice(0, 9), targets: [{ position: 7, id: 11 }], gradPositions: [6], embeddingOverrides: new Map([[2, m64.embeddingRow(50)]]) },
      ];
      const plain = await m64.inputGradient(items);
      const misses = m64.prefixStats.misses;
      const cached = await m64.inputGradient(items.map((it, k) => ({ ...it, prefixLength: [4, 3, 5][k] })));
      assert.ok(m64.prefixStats.misses > misses, 'prefixes were computed and used');
      cached.forEach((r, b) => {
        assert.ok(Math.abs(r.loss - plain[b].loss) < 1e-9, `item ${b} loss ${r.loss} vs ${plain[b].loss}`);
        r.nll.forEach((x, k) => assert.ok(Math.abs(x - plain[b].nll[k]) < 1e-9, `item ${b} nll ${k}`));
        r.grad.forEach((gv, k) => gv.forEach((x, h) => assert.ok(Math.abs(x - plain[b].grad[k][h]) < 1e-9, `item ${b} grad ${k}[${h}]: ${x} vs ${plain[b].grad[k][h]}`)));
      });
      // A batch whose every target is on a prefix's last row runs no graph: host-scored loss, zero gradients.
      const [onlyPrefix] = await m64.inputGradient([{ ids, targets: [{ position: 3, id: ids[4] }], gradPositions: [5, 6], prefixLength: 4 }]);
      const [whole] = await m64.inputGradient([{ ids, targets: [{ position: 3, id: ids[4] }], gradPositions: [5, 6] }]);
      assert.ok(Math.abs(onlyPrefix.loss - whole.loss) < 1e-9, `${onlyPrefix.loss} vs ${whole.loss}`);
      onlyPrefix.grad.forEach((gv, k) => gv.forEach((x, h) => assert.ok(Math.abs(x - whole.grad[k][h]) < 1e-12, `grad ${k}[${h}]: ${x} vs ${whole.grad[k][h]}`)));
      // ...and still refuses a gradient position outside the sequence
      await assert.rejects(m64.inputGradient([{ ids, targets: [{ position: 3, id: ids[4] }], gradPositions: [ids.length], prefixLength: 4 }]), /gradient position 15 is outside the sequence \(length 15\)/);
      m64.clearPrefixCache(); // later tests count their own prefix misses
    });

    test('suffixScoredFrom scores only the suffix tokens from there on (the rest read −1 / NaN) with the same values', async () => {
      const prompts = [IDS.slice(0, 3), IDS, IDS.slice(2, 8)];
      const suffixes = [[7, 8, 9, 10], [100, 5], [42, 3, 4]];
      const all = await m64.generate(prompts, { maxNewTokens: 5, stopIds: [], suffixes });
      const before = m64.counters.forwardPasses;
      const some = await m64.generate(prompts, { maxNewTokens: 5, stopIds: [], suffixes, suffixScoredFrom: [2, 0, 3] });
      [2, 0, 3].forEach((from, b) => {
        assert.deepEqual(some[b].ids, all[b].ids);
        suffixes[b].forEach((_, j) => {
          if (j < from) {
            assert.equal(some[b].suffix!.argmax[j], -1, `row ${b} token ${j} unscored`);
            assert.ok(Number.isNaN(some[b].suffix!.logProbs[j]));
          } else {
            assert.equal(some[b].suffix!.argmax[j], all[b].suffix!.argmax[j], `row ${b} token ${j}`);
            assert.ok(Math.abs(some[b].suffix!.logProbs[j] - all[b].suffix!.logProbs[j]) < 1e-9, `row ${b} token ${j}`);
          }
        });
      });
      assert.ok(m64.counters.forwardPasses > before, 'the scored suffixes went through the model');
    });

    test('prompt scores read from the prefill equal teacher-forced log-probs, and leave generation unchanged', async () => {
      const prompts = [IDS.slice(0, 4), IDS.slice(1, 10)];
      const promptScores = [[{ position: 0, id: IDS[1] }, { position: 2, id: 17 }], [{ position: 5, id: IDS[7] }, { position: 8, id: 3 }, { position: 1, id: 250 }]];
      const plain = await m64.generate(prompts, { maxNewTokens: 4, stopIds: [] });
      const scored = await m64.generate(prompts, { maxNewTokens: 4, stopIds: [], promptScores });
      const V = m64.config.vocabSize;
      for (const [b, list] of promptScores.entries()) {
        assert.deepEqual(scored[b].ids, plain[b].ids);
        const [ref] = await m64.nextTokenLogProbs([prompts[b]], [list.map((t) => t.position)]);
        list.forEach((t, k) => assert.ok(Math.abs(scored[b].promptLogProbs![k] - ref[k * V + t.id]) < 1e-9, `prompt ${b} score ${k}`));
      }
    });

    test('cached prompt prefixes give the same generations, suffix scores and prompt scores, and are reused', async () => {
      const prompts = [IDS.slice(0, 6), IDS.slice(0, 9), [...IDS.slice(0, 4), 17, 18]];
      const opts = { maxNewTokens: 5, stopIds: [], suffixes: [[7, 8], [9], [3, 4, 5]], promptScores: [[{ position: 3, id: 42 }, { position: 4, id: 5 }], [{ position: 7, id: 1 }], [{ position: 4, id: 9 }]] };
      const plain = await m64.generate(prompts, opts);
      const before = { ...m64.prefixStats };
      const cached = await m64.generate(prompts, { ...opts, prefixLengths: [4, 4, 5] });
      const again = await m64.generate(prompts, { ...opts, prefixLengths: [4, 4, 5] });
      assert.equal(m64.prefixStats.misses - before.misses, 2, 'two distinct prefixes computed once');
      assert.equal(m64.prefixStats.hits - before.hits, 3, 'the next call reuses all three rows\' prefixes');
      for (const run of [cached, again]) {
        run.forEach((g, b) => {
          assert.deepEqual(g.ids, plain[b].ids);
          g.suffix!.logProbs.forEach((x, j) => assert.ok(Math.abs(x - plain[b].suffix!.logProbs[j]) < 1e-9));
          g.promptLogProbs!.forEach((x, j) => assert.ok(Math.abs(x - plain[b].promptLogProbs![j]) < 1e-9));
        });
      }
    });

    test('a row stops at its stop token while the others continue', async () => {
      const [free] = await m32.generate([IDS.slice(0, 4)], { maxNewTokens: 8, stopIds: [] });
      const stopAt = free.ids[3];
      const firstIdx = free.ids.indexOf(stopAt);
      const [stopped] = await m32.generate([IDS.slice(0, 4)], { maxNewTokens: 8, stopIds: [stopAt] });
      assert.equal(stopped.finish, 'stop');
      assert.deepEqual(stopped.ids, free.ids.slice(0, firstIdx));
    });
  });
}
