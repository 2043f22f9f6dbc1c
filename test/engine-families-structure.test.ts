// Structural checks that would catch a family quirk applied in the wrong place or swapped, beyond the
// per-family comparison with the naive reference (engine-families.test.ts): each compares two models
// that must agree (or must not) because of what the quirk means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { writeTinyModel, type TinyFamily, type TinyOptions } from './helpers/tiny-models';
import { referenceLogits } from './helpers/reference-model';

const IDS = [5, 77, 140, 3, 200, 61, 9, 33, 150, 18, 94];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** float64 logits of every position of `ids` for a tiny model written with these options. */
async function logitsOf(family: TinyFamily, opts: TinyOptions, ids = IDS, edit?: (dir: string) => void): Promise<{ dir: string; rows: Float64Array[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-struct-${family}-`));
  writeTinyModel(dir, family, opts);
  edit?.(dir);
  const m = await LanguageModel.load(dir, { dtype: 'float64', weights: 'inputs', withoutTokenizer: true });
  try {
    const [flat] = await m.logits([ids]);
    const V = m.config.vocabSize;
    return { dir, rows: ids.map((_, i) => Float64Array.from(flat.subarray(i * V, (i + 1) * V))) };
  } finally {
    await m.dispose();
  }
}

const rowsDiff = (a: Float64Array[], b: Float64Array[]) => Math.max(...a.map((r, i) => maxAbsDiff(r, b[i])));
const cleanup = (...dirs: string[]) => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));

test('Gemma 3: sliding layers rotate with rope_local_base_freq, global layers with rope_theta', async () => {
  // Same weights, three layers. All sliding (window ≥ sequence) with local base B equals all global with rope_theta B.
  const big = { sliding_window: 64 };
  const slidingLocal = await logitsOf('gemma3_text', { seed: 51, config: { ...big, layer_types: ['sliding_attention', 'sliding_attention', 'sliding_attention'], rope_local_base_freq: 777.0, rope_theta: 1e6 } });
  const globalTheta = await logitsOf('gemma3_text', { seed: 51, config: { ...big, layer_types: ['full_attention', 'full_attention', 'full_attention'], rope_local_base_freq: 1e6, rope_theta: 777.0 } });
  assert.ok(rowsDiff(slidingLocal.rows, globalTheta.rows) < 1e-10, `sliding+local 777 vs global+theta 777: ${rowsDiff(slidingLocal.rows, globalTheta.rows)}`);
  // ... and the bases matter: exchanging them changes the logits (so the equality above is not vacuous).
  const swapped = await logitsOf('gemma3_text', { seed: 51, config: { ...big, layer_types: ['sliding_attention', 'sliding_attention', 'sliding_attention'], rope_local_base_freq: 1e6, rope_theta: 777.0 } });
  assert.ok(rowsDiff(slidingLocal.rows, swapped.rows) > 1e-3, 'the local base has no effect on sliding layers');
  // The default mixed model: the engine matches the reference, not the reference with bases exchanged.
  const mixed = await logitsOf('gemma3_text', { seed: 52 });
  const right = referenceLogits(mixed.dir, IDS);
  const wrong = referenceLogits(mixed.dir, IDS, 'swapGemma3RopeBases');
  assert.ok(rowsDiff(mixed.rows, right) < 1e-9);
  assert.ok(rowsDiff(mixed.rows, wrong) > 1e-3, `swapping the bases changes the reference by only ${rowsDiff(mixed.rows, wrong)}`);
  cleanup(slidingLocal.dir, globalTheta.dir, swapped.dir, mixed.dir);
});

test('Qwen3: q/k norms act before RoPE, not after', async () => {
  const m = await logitsOf('qwen3', { seed: 53 });
  const before = referenceLogits(m.dir, IDS);
  const after = referenceLogits(m.dir, IDS, 'qkNormAfterRope');
  assert.ok(rowsDiff(m.rows, before) < 1e-9, `engine vs norm-then-RoPE: ${rowsDiff(m.rows, before)}`);
  assert.ok(rowsDiff(m.rows, after) > 1e-3, `engine is as close to RoPE-then-norm (${rowsDiff(m.rows, after)}): the order is not being tested`);
  cleanup(m.dir);
});

test('Granite with every multiplier 1 equals Llama on the same weights; each multiplier changes the result', async () => {
  const ones = { embedding_multiplier: 1.0, residual_multiplier: 1.0, attention_multiplier: 1 / Math.sqrt(8), logits_scaling: 1.0 };
  // attention_multiplier replaces head_dim^-½, so "neutral" is 8^-½ for head_dim 8.
  const granite = await logitsOf('granite', { seed: 54, tied: true, config: ones });
  const llama = await logitsOf('llama', { seed: 54, tied: true });
  assert.ok(rowsDiff(granite.rows, llama.rows) < 1e-12, `granite(1) vs llama: ${rowsDiff(granite.rows, llama.rows)}`);
  for (const [k, v] of Object.entries({ embedding_multiplier: 3, residual_multiplier: 0.5, attention_multiplier: 0.2, logits_scaling: 2.5 })) {
    const g = await logitsOf('granite', { seed: 54, tied: true, config: { ...ones, [k]: v } });
    assert.ok(rowsDiff(g.rows, llama.rows) > 1e-3, `${k} = ${v} has no effect`);
    assert.ok(rowsDiff(g.rows, referenceLogits(g.dir, IDS)) < 1e-9, `${k} = ${v}: engine vs reference`);
    cleanup(g.dir);
  }
  cleanup(granite.dir, llama.dir);
});

test('SmolLM3: a NoPE layer sees no positions (one-layer model: last logits invariant to reordering the prefix)', async () => {
  const shuffled = [IDS[3], IDS[0], IDS[2], IDS[1], IDS[4]];
  const prompt = IDS.slice(0, 5);
  const one = (noRope: number) => ({ seed: 55, config: { num_hidden_layers: 1, no_rope_layers: [noRope], use_sliding_window: false } });
  const nope = await logitsOf('smollm3', one(0), prompt);
  const nopeShuffled = await logitsOf('smollm3', one(0), shuffled);
  assert.ok(maxAbsDiff(nope.rows[4], nopeShuffled.rows[4]) < 1e-10, 'NoPE layer: the last position depends on the order of earlier tokens');
  const rope = await logitsOf('smollm3', one(1), prompt);
  const ropeShuffled = await logitsOf('smollm3', one(1), shuffled);
  assert.ok(maxAbsDiff(rope.rows[4], ropeShuffled.rows[4]) > 1e-3, 'RoPE layer: order should matter');
  cleanup(nope.dir, nopeShuffled.dir, rope.dir, ropeShuffled.dir);
});

test('Phi-3 LongRoPE: long factors beyond original_max_position_embeddings, short ones within', async () => {
  // original context 8 < 11 tokens: the whole pass uses long_factor (HF picks by the largest position + 1).
  const long = await logitsOf('phi3', { seed: 56, config: { original_max_position_embeddings: 8 } });
  assert.ok(rowsDiff(long.rows, referenceLogits(long.dir, IDS)) < 1e-9, 'long factors vs reference');
  const short = await logitsOf('phi3', { seed: 56, config: { original_max_position_embeddings: 64 } });
  // attention factor differs too (√(1 + ln(256/8)/ln 8) vs √(1 + ln(256/64)/ln 64)); the factors must change the logits
  assert.ok(rowsDiff(long.rows, short.rows) > 1e-3, 'long and short factors give the same logits');
  // Within the original context both configs read short_factor: the first 8 positions agree once the attention
  // factor is pinned equal.
  const pin = (orig: number) => ({ seed: 56, config: { original_max_position_embeddings: orig, rope_scaling: { type: 'longrope', short_factor: [1.37, 1.74, 2.11], long_factor: [4.37, 4.74, 5.11], attention_factor: 1.1 } } });
  const a = await logitsOf('phi3', pin(8), IDS.slice(0, 8));
  const b = await logitsOf('phi3', pin(64), IDS.slice(0, 8));
  assert.ok(rowsDiff(a.rows, b.rows) < 1e-10, 'within the original context the short factors apply');
  cleanup(long.dir, short.dir, a.dir, b.dir);
});
