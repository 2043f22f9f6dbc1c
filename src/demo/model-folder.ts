// The demo model's Hugging Face folder: config.json (Llama), seeded initial weights, tokenizer files,
// generation_config.json. Init follows GPT-2: N(0, 0.02) everywhere, residual output projections scaled
// by 1/√(2·layers) so the residual stream does not grow with depth; RMSNorm weights start at 1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensorsFile } from '../engine';
import type { Rng } from '../greater/rng';
import type { DemoTokenizerFiles } from './tokenizer';

export interface DemoShape {
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  maxPositions: number;
}

export const DEMO_SHAPE: DemoShape = { hiddenSize: 128, intermediateSize: 384, layers: 4, heads: 4, maxPositions: 256 };

export function demoConfig(shape: DemoShape, tok: DemoTokenizerFiles): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: tok.vocabSize,
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.heads,
    head_dim: shape.hiddenSize / shape.heads,
    max_position_embeddings: shape.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    rope_scaling: null,
    hidden_act: 'silu',
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    tie_word_embeddings: true,
    bos_token_id: tok.bosId,
    eos_token_id: tok.eosId,
    pad_token_id: tok.padId,
    initializer_range: 0.02,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

function normals(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export function initialWeights(shape: DemoShape, vocabSize: number, rng: Rng): NamedTensor[] {
  const H = shape.hiddenSize;
  const I = shape.intermediateSize;
  const std = 0.02;
  const resid = std / Math.sqrt(2 * shape.layers);
  const out: NamedTensor[] = [];
  const mat = (name: string, rows: number, cols: number, s: number) => out.push({ name, shape: [rows, cols], data: normals(rng, rows * cols, s) });
  const ones = (name: string) => out.push({ name, shape: [H], data: new Float32Array(H).fill(1) });
  mat('model.embed_tokens.weight', vocabSize, H, std);
  for (let l = 0; l < shape.layers; l++) {
    const p = `model.layers.${l}`;
    ones(`${p}.input_layernorm.weight`);
    mat(`${p}.self_attn.q_proj.weight`, H, H, std);
    mat(`${p}.self_attn.k_proj.weight`, H, H, std);
    mat(`${p}.self_attn.v_proj.weight`, H, H, std);
    mat(`${p}.self_attn.o_proj.weight`, H, H, resid);
    ones(`${p}.post_attention_layernorm.weight`);
    mat(`${p}.mlp.gate_proj.weight`, I, H, std);
    mat(`${p}.mlp.up_proj.weight`, I, H, std);
    mat(`${p}.mlp.down_proj.weight`, H, I, resid);
  }
  ones('model.norm.weight');
  return out;
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes config, tokenizer and generation config (weights are written separately by writeWeights). */
export function writeModelFiles(dir: string, config: Record<string, unknown>, tok: DemoTokenizerFiles): void {
  fs.mkdirSync(dir, { recursive: true });
  writeJson(path.join(dir, 'config.json'), config);
  writeJson(path.join(dir, 'tokenizer.json'), tok.tokenizerJson);
  writeJson(path.join(dir, 'tokenizer_config.json'), tok.tokenizerConfig);
  writeJson(path.join(dir, 'generation_config.json'), { bos_token_id: tok.bosId, eos_token_id: tok.eosId, pad_token_id: tok.padId, do_sample: false });
}

/** model.safetensors via a temp file + rename, so an interrupted run never leaves a half-written file. */
export function writeWeights(dir: string, tensors: readonly NamedTensor[], metadata: Record<string, string>): void {
  const file = path.join(dir, 'model.safetensors');
  const tmp = file + '.tmp';
  writeSafetensorsFile(tmp, tensors.map((t) => ({ name: t.name, shape: t.shape, data: t.data, dtype: 'F32' as const })), { format: 'pt', ...metadata });
  fs.renameSync(tmp, file);
}
