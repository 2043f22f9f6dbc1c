// LlamaForCausalLM (Llama 2/3/3.1/3.2, SmolLM, TinyLlama, llama2.c exports): pre-norm blocks, GQA,
// SwiGLU MLP, RoPE (optionally llama3-scaled), tied or untied LM head. config.json keys as in HF.
// parseLlamaLike and llamaBlock are the base the Llama-derived families (Qwen2/3, Mistral, SmolLM3,
// Granite, Phi-3) start from; each of those files states what it changes.
import { ConfigReader, HfConfig, ModelConfig, parseDims, parseRope } from '../config';
import type { FamilyDef } from '../family';
import { Value } from '../../graph/graph';
import { LayerBuilder, layerPrefix } from '../layers';
import { decoderWeights } from '../weight-table';

export interface LlamaLikeDefaults {
  /** max_position_embeddings when absent (the HF config class default). */
  maxPositions: number;
  /** rope_theta when absent (the class's default_theta). */
  theta?: number;
  tie?: boolean;
  headDim?: number;
  numKvHeads?: number;
  rmsNormEps?: number;
}

export function parseLlamaLike(hf: HfConfig, file: string, modelType: string, d: LlamaLikeDefaults = { maxPositions: 2048 }): ModelConfig {
  const r = new ConfigReader(hf, file);
  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu') r.fail(`hidden_act "${act}" is not supported for ${modelType} (supported: silu)`);
  if (r.bool('mlp_bias', false)) r.fail('mlp_bias: true is not supported');
  const dims = parseDims(r, d);
  const bias = r.bool('attention_bias', false);
  return {
    modelType,
    ...dims,
    rope: parseRope(r, { theta: d.theta ?? 10000, maxPositions: dims.maxPositions }),
    rotaryDim: dims.headDim,
    layerRope: new Array(dims.numLayers).fill('global'),
    tieWordEmbeddings: r.bool('tie_word_embeddings', d.tie ?? false),
    activation: 'silu',
    // HF Llama: attention_bias puts biases on q, k, v and o alike.
    attentionBias: bias,
    attentionOutputBias: bias,
    slidingWindow: new Array(dims.numLayers).fill(undefined),
    queryScale: 1 / Math.sqrt(dims.headDim),
    bosTokenId: r.bosId(),
    eosTokenIds: r.eosIds(),
  };
}

/** Pre-norm block: h = x + attn(norm(x)); out = h + mlp(norm(h)). */
export function llamaBlock(b: LayerBuilder, x: Value, i: number): Value {
  const g = b.g;
  const p = layerPrefix(i);
  const h = g.add(x, b.attention(b.rmsNorm(x, `${p}.input_layernorm`), i));
  return g.add(h, b.mlp(b.rmsNorm(h, `${p}.post_attention_layernorm`), i));
}

export const llama: FamilyDef = {
  name: 'llama',
  parseConfig: (hf, file) => parseLlamaLike(hf, file, 'llama'),
  weights: (cfg) => decoderWeights(cfg),
  block: llamaBlock,
};
