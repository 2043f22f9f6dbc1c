// LlamaForCausalLM (Llama 2/3/3.1/3.2, SmolLM, TinyLlama, llama2.c exports): pre-norm blocks, GQA,
// SwiGLU MLP, RoPE (optionally llama3-scaled), tied or untied LM head. config.json keys as in HF.
import { ConfigReader, FamilyDef, HfConfig, ModelConfig, parseDims, parseRope, registerFamily } from '../config';
import { Value } from '../../graph/graph';
import { LayerBuilder, layerPrefix } from '../layers';

export function parseLlamaLike(hf: HfConfig, file: string, modelType: string): ModelConfig {
  const r = new ConfigReader(hf, file);
  const act = r.str('hidden_act', 'silu');
  if (act !== 'silu') r.fail(`hidden_act "${act}" is not supported for ${modelType} (supported: silu)`);
  if (r.bool('mlp_bias', false)) r.fail('mlp_bias: true is not supported');
  const dims = parseDims(r, 2048);
  return {
    modelType,
    ...dims,
    rope: parseRope(r),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    activation: 'silu',
    attentionBias: r.bool('attention_bias', false),
    slidingWindow: new Array(dims.numLayers).fill(undefined),
    queryScale: 1 / Math.sqrt(dims.headDim),
    bosTokenId: typeof hf.bos_token_id === 'number' ? hf.bos_token_id : undefined,
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
  modelTypes: ['llama'],
  parseConfig: (hf, file) => parseLlamaLike(hf, file, 'llama'),
  block: llamaBlock,
};
registerFamily(llama);
