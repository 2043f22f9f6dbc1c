// config.json → ModelConfig for the key forms real checkpoints use: HF class defaults for absent keys,
// rope_parameters vs rope_theta/rope_scaling, LongRoPE ("longrope"/"su"), partial rotary, Gemma 3's nested
// text_config, Mistral's absent-vs-null sliding_window, SmolLM3's NoPE interval; and one clear line for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHfConfig } from '../src/engine/model/families/index';
import { FAMILY_EXAMPLES } from '../src/engine/model/families/examples';

const example = (type: string) => ({ ...FAMILY_EXAMPLES.find((e) => e.config.model_type === type)!.config });
const F = '/m/config.json';

test('Phi-4-mini: partial rotary 0.75 → 96 of 128 dims, LongRoPE attention factor from 131072 / 4096, window on every layer', () => {
  const factors = Array.from({ length: 48 }, (_, i) => 1 + i / 10);
  const c = parseHfConfig({ ...example('phi3'), original_max_position_embeddings: 4096, sliding_window: 262144, rope_theta: 10000.0, rope_scaling: { type: 'longrope', short_factor: factors, long_factor: factors.map((f) => f * 2) } }, F);
  assert.equal(c.headDim, 128);
  assert.equal(c.rotaryDim, 96);
  assert.equal(c.rope.scaling?.type, 'longrope');
  if (c.rope.scaling?.type !== 'longrope') return;
  assert.equal(c.rope.scaling.originalMaxPositions, 4096);
  assert.ok(Math.abs(c.rope.scaling.attentionFactor - Math.sqrt(1 + Math.log(32) / Math.log(4096))) < 1e-15);
  assert.deepEqual([...new Set(c.slidingWindow)], [262144]);
  // the legacy name "su" is the same scaling
  const su = parseHfConfig({ ...example('phi3'), rope_scaling: { type: 'su', short_factor: factors, long_factor: factors } }, F);
  assert.equal(su.rope.scaling?.type, 'longrope');
  // transformers ≥ 5 form: everything inside rope_parameters
  const v5 = parseHfConfig({ ...example('phi3'), rope_parameters: { rope_type: 'longrope', rope_theta: 10000.0, partial_rotary_factor: 0.5, original_max_position_embeddings: 4096, short_factor: factors.slice(0, 32), long_factor: factors.slice(0, 32) }, partial_rotary_factor: undefined }, F);
  assert.equal(v5.rotaryDim, 64);
});

test('Gemma 3 multimodal text_config with only the keys gemma-3-4b-it sets: HF defaults fill the rest', () => {
  const c = parseHfConfig({
    model_type: 'gemma3', eos_token_id: [1, 106], bos_token_id: 2,
    text_config: { model_type: 'gemma3_text', hidden_size: 2560, intermediate_size: 10240, num_hidden_layers: 34, rope_scaling: { factor: 8.0, rope_type: 'linear' }, sliding_window: 1024 },
    vision_config: { model_type: 'siglip_vision_model' },
  }, F);
  assert.deepEqual([c.vocabSize, c.numHeads, c.numKvHeads, c.headDim], [262208, 8, 4, 256]);
  assert.equal(c.queryScale, 1 / 16); // query_pre_attn_scalar 256
  assert.deepEqual(c.rope, { theta: 1e6, scaling: { type: 'linear', factor: 8 } }); // global layers
  assert.deepEqual(c.localRope, { theta: 10000 }); // sliding layers: rope_local_base_freq, unscaled
  assert.deepEqual(c.layerRope.slice(0, 6), ['local', 'local', 'local', 'local', 'local', 'global']); // every 6th is global
  assert.deepEqual(c.slidingWindow.slice(4, 7), [1024, undefined, 1024]);
  assert.deepEqual(c.eosTokenIds, [1, 106]);
  assert.equal(c.softcap?.final, undefined);
});

test('Qwen3 without head_dim uses 128 (Qwen3Config default), not hidden / heads', () => {
  const { head_dim: _h, ...rest } = example('qwen3');
  assert.equal(parseHfConfig(rest, F).headDim, 128);
});

test('Mistral: sliding_window absent → 4096 (MistralConfig default), null → full attention', () => {
  const { sliding_window: _s, ...rest } = example('mistral');
  assert.deepEqual([...new Set(parseHfConfig(rest, F).slidingWindow)], [4096]);
  assert.deepEqual([...new Set(parseHfConfig({ ...rest, sliding_window: null }, F).slidingWindow)], [undefined]);
});

test('SmolLM3: without no_rope_layers every 4th layer is NoPE', () => {
  const c = parseHfConfig(example('smollm3'), F);
  assert.deepEqual(c.layerRope.slice(0, 8), ['global', 'global', 'global', null, 'global', 'global', 'global', null]);
  assert.equal(c.rope.theta, 2e6);
});

test('bad input: one line naming the file, the key and what was expected', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...example('phi3'), rope_scaling: { type: 'longrope', short_factor: [1, 2], long_factor: [1, 2] } }, /^\/m\/config\.json: rope_scaling short_factor \/ long_factor have 2 \/ 2 entries; expected rotary dims \/ 2 = 48$/],
    [{ ...example('qwen3'), rope_scaling: { rope_type: 'yarn', factor: 4 } }, /^\/m\/config\.json: rope_scaling type "yarn" is not supported \(supported: default, linear, llama3, longrope\/su\)$/],
    [{ ...example('gemma3_text'), layer_types: ['sliding_attention', 'chunked_attention'] }, /^\/m\/config\.json: layer_types has 2 entries for 26 layers$/],
    [{ ...example('gemma3_text'), layer_types: [...Array(25).fill('sliding_attention'), 'chunked_attention'] }, /^\/m\/config\.json: layer_types\[25\] is "chunked_attention"; expected "sliding_attention" or "full_attention"$/],
    [{ ...example('mistral'), sliding_window: 'big' }, /^\/m\/config\.json: key "sliding_window" should be a number, got "big"$/],
    [{ model_type: 'gemma3' }, /^\/m\/config\.json: model_type "gemma3" needs a "text_config" object/],
    [{ ...example('phi3'), partial_rotary_factor: 2 }, /^\/m\/config\.json: partial_rotary_factor should be a number in \(0, 1\], got 2$/],
  ];
  for (const [hf, re] of cases) {
    assert.throws(() => parseHfConfig(hf, F), (e: Error) => {
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
});
