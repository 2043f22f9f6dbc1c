// Writes seeded random tiny models as real Hugging Face folders (config.json with the key names real
// checkpoints use, model.safetensors or shards + index, tokenizer.json, tokenizer_config.json,
// generation_config.json), so model-family code is tested against the same layout it meets in the wild.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensorsFile, type DiskDType } from '../../src/engine/weights/safetensors';
import { Prng } from './prng';
import { buildTinyTokenizer, type TokenizerFlavor } from './tiny-tokenizer';

export type TinyFamily = 'llama' | 'qwen2' | 'gemma2' | 'qwen3' | 'gemma3_text' | 'gemma3' | 'phi3' | 'smollm3' | 'granite' | 'mistral' | 'ministral';
/** The prompt format each family's tiny tokenizer follows. */
const FLAVOR: Record<TinyFamily, TokenizerFlavor> = {
  llama: 'llama', qwen2: 'qwen2', gemma2: 'gemma2', qwen3: 'qwen2', gemma3_text: 'gemma2', gemma3: 'gemma2',
  phi3: 'llama', smollm3: 'llama', granite: 'llama', mistral: 'llama', ministral: 'llama',
};
export interface TinyOptions {
  seed?: number;
  dtype?: DiskDType;
  sharded?: boolean;
  tied?: boolean;
  ropeScalingLlama3?: boolean;
  /** Config overrides, applied last; weight shapes follow the final config. */
  config?: Record<string, unknown>;
}

const TORCH_DTYPE: Record<DiskDType, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
const ARCHITECTURE: Record<TinyFamily, string> = {
  llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', gemma2: 'Gemma2ForCausalLM', qwen3: 'Qwen3ForCausalLM', gemma3_text: 'Gemma3ForCausalLM',
  gemma3: 'Gemma3ForConditionalGeneration', phi3: 'Phi3ForCausalLM', smollm3: 'SmolLM3ForCausalLM', granite: 'GraniteForCausalLM',
  mistral: 'MistralForCausalLM', ministral: 'MinistralForCausalLM',
};
/** Matrices get std 0.2 so activations and logits are far from trivial at this size. */
const MATRIX_STD = 0.2;

function baseConfig(family: TinyFamily, opts: TinyOptions, tok: ReturnType<typeof buildTinyTokenizer>): Record<string, unknown> {
  const dtype = opts.dtype ?? 'F32';
  const common: Record<string, unknown> = {
    architectures: [ARCHITECTURE[family]],
    model_type: family,
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-6,
    rope_theta: 10000.0,
    attention_dropout: 0.0,
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: TORCH_DTYPE[dtype],
    transformers_version: '4.44.0',
  };
  if (family === 'llama') {
    return {
      ...common,
      hidden_act: 'silu',
      attention_bias: false,
      mlp_bias: false,
      pretraining_tp: 1,
      bos_token_id: tok.bosId,
      eos_token_id: tok.stopIds, // Llama 3 instruct configs list several end ids
      pad_token_id: tok.padId,
      tie_word_embeddings: opts.tied ?? false,
      rope_scaling: opts.ropeScalingLlama3
        ? { rope_type: 'llama3', factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 64 }
        : null,
    };
  }
  if (family === 'qwen2') {
    const { head_dim: _omitted, ...rest } = common; // real Qwen2 configs have no head_dim: it is hidden_size / heads
    return {
      ...rest,
      hidden_act: 'silu',
      bos_token_id: tok.padId, // Qwen2 names <|endoftext|> as bos in config.json although it never prepends it
      eos_token_id: tok.eosId,
      pad_token_id: tok.padId,
      tie_word_embeddings: opts.tied ?? true,
      use_sliding_window: false,
      sliding_window: 256,
      max_window_layers: 2,
      rope_scaling: null,
    };
  }
  const ids = { bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId };
  if (family === 'qwen3') {
    // Key set of Qwen3-0.6B's config.json; head_dim 12 ≠ hidden 32 / 4 heads, as on the real sizes.
    return {
      ...common, ...ids, bos_token_id: tok.padId, head_dim: 12, hidden_act: 'silu', attention_bias: false, rope_theta: 1000000.0, rope_scaling: null,
      tie_word_embeddings: opts.tied ?? true, use_sliding_window: false, sliding_window: null, max_window_layers: 28,
      layer_types: ['full_attention', 'full_attention'],
    };
  }
  if (family === 'gemma3_text' || family === 'gemma3') {
    // gemma-3-1b-it's keys: 3 layers so that both kinds exist (layer_types, or the pattern: every 3rd is global).
    const text: Record<string, unknown> = {
      ...common, ...ids, num_hidden_layers: 3, hidden_activation: 'gelu_pytorch_tanh', attention_bias: false,
      query_pre_attn_scalar: 16, attn_logit_softcapping: null, final_logit_softcapping: null,
      sliding_window: 4, sliding_window_pattern: 3, rope_theta: 1000000.0, rope_local_base_freq: 10000.0, rope_scaling: null,
      cache_implementation: 'hybrid', tie_word_embeddings: opts.tied ?? true,
    };
    if (family === 'gemma3_text') return { ...text, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'] };
    // gemma-3-4b-it's layout: the text model under text_config (with linear rope_scaling on global layers).
    const { architectures: _a, torch_dtype: dt, transformers_version: tv, ...inner } = text;
    return {
      architectures: [ARCHITECTURE.gemma3], model_type: 'gemma3', boi_token_index: 3, eoi_token_index: 4, image_token_index: 5, mm_tokens_per_image: 256,
      eos_token_id: [tok.eosId, ...tok.stopIds], bos_token_id: tok.bosId, initializer_range: 0.02, torch_dtype: dt, transformers_version: tv,
      text_config: { ...inner, model_type: 'gemma3_text', rope_scaling: { factor: 8.0, rope_type: 'linear' } },
      vision_config: { model_type: 'siglip_vision_model', hidden_size: 4, image_size: 16, patch_size: 8, num_hidden_layers: 1 },
    };
  }
  if (family === 'phi3') {
    // Phi-4-mini's keys: partial_rotary_factor 0.75 (6 of 8 head dims rotate), LongRoPE with 3 factors, sliding window.
    const { head_dim: _omitted, ...rest } = common;
    const factors = (base: number) => [1, 2, 3].map((k) => base + 0.37 * k);
    return {
      ...rest, ...ids, hidden_act: 'silu', rms_norm_eps: 1e-5, partial_rotary_factor: 0.75, original_max_position_embeddings: 64,
      rope_scaling: { type: 'longrope', short_factor: factors(1), long_factor: factors(4) }, sliding_window: 5,
      resid_pdrop: 0.0, embd_pdrop: 0.0, lm_head_bias: false, tie_word_embeddings: opts.tied ?? true,
    };
  }
  if (family === 'smollm3') {
    // SmolLM3-3B's keys, with a NoPE layer (no_rope_layers[1] = 0) that also slides (window 4).
    return {
      ...common, ...ids, num_hidden_layers: 3, hidden_act: 'silu', attention_bias: false, mlp_bias: false, rope_theta: 2000000.0, rope_scaling: null,
      no_rope_layers: [1, 0, 1], no_rope_layer_interval: 4, use_sliding_window: true, sliding_window: 4, max_window_layers: 28,
      tie_word_embeddings: opts.tied ?? true,
    };
  }
  if (family === 'granite') {
    // Granite-3.x keys; multipliers far from 1 so that each one shows.
    return {
      ...common, ...ids, hidden_act: 'silu', attention_bias: false, mlp_bias: false, rope_scaling: null,
      embedding_multiplier: 3.0, residual_multiplier: 0.5, attention_multiplier: 0.2, logits_scaling: 2.5, tie_word_embeddings: opts.tied ?? true,
    };
  }
  if (family === 'mistral' || family === 'ministral') {
    // Mistral-Nemo-like: head_dim 12 ≠ 32 / 4; sliding window 4 (every layer; Ministral: by layer_types).
    return {
      ...common, ...ids, head_dim: 12, hidden_act: 'silu', sliding_window: 4, tie_word_embeddings: opts.tied ?? false,
      ...(family === 'ministral' ? { layer_types: ['sliding_attention', 'full_attention'] } : {}),
    };
  }
  return {
    ...common,
    hidden_act: 'gelu_pytorch_tanh',
    hidden_activation: 'gelu_pytorch_tanh',
    attention_bias: false,
    query_pre_attn_scalar: 16, // deliberately != head_dim (8): the query scale is 16^-0.5, not 8^-0.5
    attn_logit_softcapping: 50.0,
    final_logit_softcapping: 30.0,
    sliding_window: 4, // small so that prompts longer than 4 tokens exercise the window on even layers
    cache_implementation: 'hybrid',
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
    tie_word_embeddings: opts.tied ?? true,
  };
}

interface Tensor { name: string; shape: number[]; data: Float32Array }

function num(config: Record<string, unknown>, key: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`tiny model: config.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function makeTensors(family: TinyFamily, top: Record<string, unknown>, rng: Prng): Tensor[] {
  const config = family === 'gemma3' ? (top.text_config as Record<string, unknown>) : top;
  const V = num(config, 'vocab_size');
  const H = num(config, 'hidden_size');
  const I = num(config, 'intermediate_size');
  const L = num(config, 'num_hidden_layers');
  const nH = num(config, 'num_attention_heads');
  const nKV = num(config, 'num_key_value_heads');
  const D = typeof config.head_dim === 'number' ? config.head_dim : H / nH;
  const out: Tensor[] = [];
  const mat = (name: string, rows: number, cols: number) => out.push({ name, shape: [rows, cols], data: rng.normals(rows * cols, MATRIX_STD) });
  // Gemma scales its norms by (1 + w), so its stored weights sit near 0; the others multiply by w near 1.
  const gemma = family === 'gemma2' || family === 'gemma3_text' || family === 'gemma3';
  const norm = (name: string, n = H) => out.push({ name, shape: [n], data: rng.normals(n, 0.1, gemma ? 0 : 1) });
  // Biases as HF builds them: Qwen2 always on q/k/v (never o); attention_bias on all four elsewhere; Mistral and Phi-3 never.
  const noBias = family === 'mistral' || family === 'ministral' || family === 'phi3';
  const qkvBias = family === 'qwen2' || (config.attention_bias === true && !noBias);
  const oBias = config.attention_bias === true && !noBias && family !== 'qwen2';
  const bias = (name: string, n: number) => out.push({ name, shape: [n], data: rng.normals(n, MATRIX_STD) });
  mat('model.embed_tokens.weight', V, H);
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    norm(`${p}.input_layernorm.weight`);
    if (family === 'phi3') mat(`${p}.self_attn.qkv_proj.weight`, (nH + 2 * nKV) * D, H);
    else {
      mat(`${p}.self_attn.q_proj.weight`, nH * D, H);
      mat(`${p}.self_attn.k_proj.weight`, nKV * D, H);
      mat(`${p}.self_attn.v_proj.weight`, nKV * D, H);
    }
    if (qkvBias) {
      bias(`${p}.self_attn.q_proj.bias`, nH * D);
      bias(`${p}.self_attn.k_proj.bias`, nKV * D);
      bias(`${p}.self_attn.v_proj.bias`, nKV * D);
    }
    mat(`${p}.self_attn.o_proj.weight`, H, nH * D);
    if (oBias) bias(`${p}.self_attn.o_proj.bias`, H);
    if (family === 'qwen3' || family === 'gemma3_text' || family === 'gemma3') {
      norm(`${p}.self_attn.q_norm.weight`, D);
      norm(`${p}.self_attn.k_norm.weight`, D);
    }
    norm(`${p}.post_attention_layernorm.weight`);
    if (gemma) {
      norm(`${p}.pre_feedforward_layernorm.weight`);
      norm(`${p}.post_feedforward_layernorm.weight`);
    }
    if (family === 'phi3') mat(`${p}.mlp.gate_up_proj.weight`, 2 * I, H);
    else {
      mat(`${p}.mlp.gate_proj.weight`, I, H);
      mat(`${p}.mlp.up_proj.weight`, I, H);
    }
    mat(`${p}.mlp.down_proj.weight`, H, I);
  }
  norm('model.norm.weight');
  if (config.tie_word_embeddings === false) mat('lm_head.weight', V, H);
  if (family === 'gemma3') {
    // Gemma3ForConditionalGeneration: the text model under language_model.*, beside vision tensors the engine ignores.
    for (const t of out) t.name = `language_model.${t.name}`;
    mat('vision_tower.vision_model.embeddings.patch_embedding.weight', 4, 3);
    mat('multi_modal_projector.mm_input_projection_weight', 4, H);
  }
  return out;
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes a complete tiny model folder for `family` into `dir` and returns the config.json it wrote. */
export function writeTinyModel(dir: string, family: TinyFamily, opts: TinyOptions = {}): Record<string, unknown> {
  const tok = buildTinyTokenizer(FLAVOR[family]);
  const base = baseConfig(family, opts, tok);
  const config: Record<string, unknown> = family === 'gemma3' && opts.config
    ? { ...base, text_config: { ...(base.text_config as Record<string, unknown>), ...opts.config } } // overrides reach the text model
    : { ...base, ...(opts.config ?? {}) };
  const textConfig = family === 'gemma3' ? (config.text_config as Record<string, unknown>) : config;
  if (num(textConfig, 'vocab_size') < tok.vocabSize) {
    throw new Error(`tiny model: vocab_size ${String(textConfig.vocab_size)} is smaller than the tokenizer (${tok.vocabSize} tokens)`);
  }
  const dtype = opts.dtype ?? 'F32';
  const tensors = makeTensors(family, config, new Prng(opts.seed ?? 1234)).map((t) => ({ ...t, dtype }));
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'config.json'), config);
  if (opts.sharded) {
    // Two shards of half the tensors each, named and indexed as `save_pretrained(max_shard_size=...)` does.
    const cut = Math.ceil(tensors.length / 2);
    const parts = [tensors.slice(0, cut), tensors.slice(cut)];
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    parts.forEach((part, i) => {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(parts.length).padStart(5, '0')}.safetensors`;
      writeSafetensorsFile(path.join(dir, file), part, { format: 'pt' });
      for (const t of part) {
        weightMap[t.name] = file;
        totalSize += t.data.length * (dtype === 'F32' ? 4 : 2);
      }
    });
    writeJson(path.join(dir, 'model.safetensors.index.json'), { metadata: { total_size: totalSize }, weight_map: weightMap });
  } else {
    writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  }
  writeJson(path.join(dir, 'tokenizer.json'), tok.tokenizerJson);
  writeJson(path.join(dir, 'tokenizer_config.json'), tok.tokenizerConfig);
  writeJson(path.join(dir, 'generation_config.json'), {
    ...(tok.bosId !== null ? { bos_token_id: tok.bosId } : {}),
    eos_token_id: tok.stopIds,
    pad_token_id: tok.padId,
    transformers_version: '4.44.0',
  });
  return config;
}
