// The tiny-model fixture writer: every family's folder loads through loadWeightsDir with shapes that
// match its config, and its tokenizer + chat template load in @huggingface/transformers offline.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { loadWeightsDir, type LoadedTensor } from '../src/engine/weights/safetensors';
import { writeTinyModel, type TinyFamily } from './helpers/tiny-models';

env.allowRemoteModels = false;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-tiny-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (name: string) => path.join(root, `${name}-${counter++}`);

/** The tensor names and shapes a family's config implies, derived here independently of the writer. */
function expectedShapes(family: TinyFamily, c: Record<string, unknown>): Map<string, number[]> {
  const n = (k: string) => c[k] as number;
  const H = n('hidden_size'), I = n('intermediate_size'), V = n('vocab_size');
  const D = (c.head_dim as number | undefined) ?? H / n('num_attention_heads');
  const q = n('num_attention_heads') * D, kv = n('num_key_value_heads') * D;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [V, H]], ['model.norm.weight', [H]]]);
  if (!c.tie_word_embeddings) m.set('lm_head.weight', [V, H]);
  for (let l = 0; l < n('num_hidden_layers'); l++) {
    const p = `model.layers.${l}.`;
    m.set(p + 'self_attn.q_proj.weight', [q, H]);
    m.set(p + 'self_attn.k_proj.weight', [kv, H]);
    m.set(p + 'self_attn.v_proj.weight', [kv, H]);
    m.set(p + 'self_attn.o_proj.weight', [H, q]);
    m.set(p + 'mlp.gate_proj.weight', [I, H]);
    m.set(p + 'mlp.up_proj.weight', [I, H]);
    m.set(p + 'mlp.down_proj.weight', [H, I]);
    m.set(p + 'input_layernorm.weight', [H]);
    m.set(p + 'post_attention_layernorm.weight', [H]);
    if (family === 'qwen2') for (const x of ['q', 'k', 'v']) m.set(p + `self_attn.${x}_proj.bias`, [x === 'q' ? q : kv]);
    if (family === 'gemma2') {
      m.set(p + 'pre_feedforward_layernorm.weight', [H]);
      m.set(p + 'post_feedforward_layernorm.weight', [H]);
    }
  }
  return m;
}

function checkWeights(family: TinyFamily, dir: string, config: Record<string, unknown>): Map<string, LoadedTensor> {
  const onDisk = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(onDisk, config, 'returned config equals config.json');
  const w = loadWeightsDir(dir);
  const want = expectedShapes(family, config);
  assert.deepEqual([...w.keys()].sort(), [...want.keys()].sort());
  for (const [name, shape] of want) assert.deepEqual(w.get(name)!.shape, shape, name);
  for (const t of w.values()) assert.ok(t.data.every(Number.isFinite), `${t.name} finite`);
  return w;
}

const std = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;

const FAMILIES = ['llama', 'qwen2', 'gemma2'] as const satisfies readonly TinyFamily[];

for (const family of FAMILIES) {
  test(`${family}: weights load with the shapes its config implies, and are seeded`, () => {
    const dir = freshDir(family);
    const config = writeTinyModel(dir, family);
    assert.equal(config.model_type, family);
    const w = checkWeights(family, dir, config);
    const q = w.get('model.layers.0.self_attn.q_proj.weight')!;
    assert.ok(Math.abs(std(q.data) - 0.2) < 0.03, `matrix std ${std(q.data)}`);
    const normMean = mean(w.get('model.layers.1.input_layernorm.weight')!.data);
    assert.ok(Math.abs(normMean - (family === 'gemma2' ? 0 : 1)) < 0.08, `norm mean ${normMean}`);
    // Same seed -> same bytes; another seed -> other values.
    const again = freshDir(family);
    writeTinyModel(again, family);
    assert.deepEqual(fs.readFileSync(path.join(again, 'model.safetensors')), fs.readFileSync(path.join(dir, 'model.safetensors')));
    const other = freshDir(family);
    writeTinyModel(other, family, { seed: 99 });
    assert.notDeepEqual(loadWeightsDir(other).get('model.embed_tokens.weight')!.data, w.get('model.embed_tokens.weight')!.data);
  });

  test(`${family}: tokenizer loads offline, round-trips text, and renders the chat template`, async () => {
    const dir = freshDir(family);
    const config = writeTinyModel(dir, family);
    const tok = await AutoTokenizer.from_pretrained(dir);
    const text = 'Hello world, the cat sat.';
    const ids = tok.encode(text, { add_special_tokens: false });
    // Merges: "Hello" and " world" / " the" / " cat" / " sat" are single tokens; "," and "." are bytes.
    assert.deepEqual(ids.map((i) => tok.decode([i])), ['Hello', ' world', ',', ' the', ' cat', ' sat', '.']);
    assert.equal(tok.decode(ids), text);
    assert.ok(Math.max(...ids) < (config.vocab_size as number));
    const withSpecial = tok.encode(text);
    if (family === 'qwen2') assert.deepEqual(withSpecial, ids, 'Qwen2 adds no BOS');
    else assert.deepEqual(withSpecial, [config.bos_token_id as number, ...ids], 'BOS prepended');
    const odd = 'naïve café — 3.14\n\ttabs & “quotes” 😀';
    assert.equal(tok.decode(tok.encode(odd, { add_special_tokens: false })), odd);

    const messages = family === 'gemma2' ? [{ role: 'user', content: 'Hi' }] : [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
    const rendered = tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }) as string;
    const expected: Record<(typeof FAMILIES)[number], string> = {
      llama: '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
      qwen2: '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
      gemma2: '<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n',
    };
    assert.equal(rendered, expected[family]);
    // Special tokens in the rendered prompt are single ids, and the end-of-turn id is a listed stop id.
    const chatIds = tok.encode(rendered, { add_special_tokens: false });
    const endOfTurn = { llama: '<|eot_id|>', qwen2: '<|im_end|>', gemma2: '<end_of_turn>' }[family];
    const eotId = tok.convert_tokens_to_ids(endOfTurn) as number;
    assert.ok(chatIds.includes(eotId));
    const gen = JSON.parse(fs.readFileSync(path.join(dir, 'generation_config.json'), 'utf8'));
    assert.ok((gen.eos_token_id as number[]).includes(eotId));
  });
}

test('llama options: sharded BF16, tied head, llama3 rope scaling, config overrides', () => {
  const dir = freshDir('llama-opts');
  const config = writeTinyModel(dir, 'llama', { sharded: true, dtype: 'BF16', tied: true, ropeScalingLlama3: true, config: { num_hidden_layers: 3 } });
  assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors')));
  assert.ok(fs.existsSync(path.join(dir, 'model.safetensors.index.json')));
  assert.equal(config.torch_dtype, 'bfloat16');
  assert.equal(config.tie_word_embeddings, true);
  assert.deepEqual(config.rope_scaling, { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64 });
  const w = checkWeights('llama', dir, config);
  assert.ok(w.has('model.layers.2.mlp.down_proj.weight'));
  assert.ok(!w.has('lm_head.weight'));
  for (const t of w.values()) assert.equal(t.diskDType, 'BF16');
});

test('family quirks are in config.json under the real key names', () => {
  const g = writeTinyModel(freshDir('g'), 'gemma2');
  assert.equal(g.query_pre_attn_scalar, 16);
  assert.notEqual(g.query_pre_attn_scalar, g.head_dim);
  assert.equal(g.attn_logit_softcapping, 50.0);
  assert.equal(g.final_logit_softcapping, 30.0);
  assert.equal(g.sliding_window, 4);
  assert.equal(g.hidden_activation, 'gelu_pytorch_tanh');
  assert.equal(g.layer_types, undefined);
  const q = writeTinyModel(freshDir('q'), 'qwen2');
  assert.equal(q.use_sliding_window, false);
  assert.equal(q.tie_word_embeddings, true);
  const l = writeTinyModel(freshDir('l'), 'llama');
  assert.equal(l.tie_word_embeddings, false);
  assert.equal(l.hidden_act, 'silu');
  for (const c of [g, q, l]) {
    assert.equal(c.hidden_size, 32);
    assert.equal(c.rms_norm_eps, 1e-6);
    assert.equal((c.architectures as string[]).length, 1);
  }
});
