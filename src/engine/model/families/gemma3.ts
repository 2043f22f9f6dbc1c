// Gemma3ForCausalLM ("gemma3_text": gemma-3-1b, 270m) and the text part of Gemma3ForConditionalGeneration
// ("gemma3": gemma-3-4b/12b/27b, config under text_config, tensors under language_model.model.*).
// Gemma 2's layout (gemma2.ts: √hidden, (1 + w) norms, sandwich norms, GeGLU, query_pre_attn_scalar) plus:
// a per-head (1 + w) RMSNorm on q and k before RoPE; sliding layers by layer_types or
// sliding_window_pattern (every pattern-th layer is global, default 6); sliding layers rotate with the
// local base rope_local_base_freq (10k, unscaled), global ones with rope_theta (1M) + rope_scaling; soft-caps
// only when set (null in released configs).
import { ConfigReader, HfConfig, ModelConfig, parseDims, parseLayerTypes, parseRope } from '../config';
import type { FamilyDef } from '../family';
import { UserError } from '../../errors';
import { gemmaBlock, gemmaHooks, gemmaWeights } from './gemma2';

/** The text config: config.json itself, or its text_config for a multimodal "gemma3" checkpoint. */
function textConfig(hf: HfConfig, file: string): HfConfig {
  if (hf.model_type !== 'gemma3') return hf;
  const t = hf.text_config;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new UserError(`${file}: model_type "gemma3" needs a "text_config" object (the text model's settings)`);
  // Token ids live at the top level of multimodal configs.
  return { eos_token_id: hf.eos_token_id, bos_token_id: hf.bos_token_id, ...(t as HfConfig) };
}

function parseGemma3(hfTop: HfConfig, file: string): ModelConfig {
  const hf = textConfig(hfTop, file);
  const r = new ConfigReader(hf, hfTop.model_type === 'gemma3' ? `${file} (text_config)` : file);
  // Gemma3TextConfig defaults; the multimodal 4B/12B/27B text_config relies on several of them.
  const dims = {
    ...parseDims(new ConfigReader({ vocab_size: 262_208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, ...hf }, r.file), { maxPositions: 131_072, headDim: 256, numKvHeads: 4 }),
  };
  const act = r.str('hidden_activation', r.str('hidden_act', 'gelu_pytorch_tanh'));
  if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_tanh') r.fail(`hidden_activation "${act}" is not supported for gemma3 (supported: gelu_pytorch_tanh)`);
  if (r.bool('use_bidirectional_attention', false)) r.fail('use_bidirectional_attention: true (an embedding model) is not supported; expected a causal language model');
  const window = r.int('sliding_window', 4096);
  const pattern = r.int('sliding_window_pattern', 6);
  const types = parseLayerTypes(r, dims.numLayers, (i) => ((i + 1) % pattern !== 0 ? 'sliding_attention' : 'full_attention'));
  const bias = r.bool('attention_bias', false);
  return {
    modelType: String(hfTop.model_type), // gemma3_text or gemma3
    ...dims,
    rope: parseRope(r, { theta: 1_000_000, maxPositions: dims.maxPositions, layerType: 'full_attention' }),
    // Gemma 3 quirk: sliding layers use their own base, without the global rope_scaling.
    localRope: parseRope(r, { theta: 10_000, maxPositions: dims.maxPositions, layerType: 'sliding_attention', legacyTheta: 'rope_local_base_freq' }),
    rotaryDim: dims.headDim,
    layerRope: types.map((t) => (t === 'sliding_attention' ? 'local' : 'global')),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    activation: 'gelu_tanh',
    attentionBias: bias,
    attentionOutputBias: bias,
    softcap: { attention: r.optNum('attn_logit_softcapping'), final: r.optNum('final_logit_softcapping') },
    slidingWindow: types.map((t) => (t === 'sliding_attention' ? window : undefined)),
    queryScale: 1 / Math.sqrt(r.num('query_pre_attn_scalar', 256)),
    bosTokenId: new ConfigReader(hf, file).bosId(),
    eosTokenIds: new ConfigReader(hf, file).eosIds(),
  };
}

export const gemma3: FamilyDef = {
  name: 'gemma3',
  parseConfig: parseGemma3,
  weights: (cfg) => gemmaWeights(cfg, true),
  // Multimodal checkpoints keep the text model under language_model.model.* (older saves) or
  // model.language_model.* (transformers ≥ 4.52 saves); the vision tower's tensors are ignored.
  checkpointNames: (name) => (name.startsWith('model.') ? [`language_model.${name}`, `model.language_model.${name.slice('model.'.length)}`] : [`language_model.${name}`]),
  ...gemmaHooks,
  block: (b, x, i) => gemmaBlock(b, x, i, { softcap: b.cfg.softcap?.attention, qkNorm: 'onePlusW' }), // Gemma 3 quirk: q/k (1 + w) norms
};
