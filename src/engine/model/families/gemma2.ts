// Gemma2ForCausalLM (gemma-2-2b/9b/27b): embeddings × √hidden, RMSNorm with (1 + w), a norm after
// attention and around the MLP ("sandwich" norms: pre/post_feedforward_layernorm), GELU-tanh GeGLU,
// attention-logit and final-logit soft-capping, query scale query_pre_attn_scalar^-½, and a sliding window
// on every other layer (even layers slide, as in HF's Gemma2 unless config.layer_types says otherwise).
// Tied head. Gemma 3 (gemma3.ts) reuses this layout.
import { ConfigReader, parseDims, parseLayerTypes } from '../config';
import type { FamilyDef } from '../family';
import { Value } from '../../graph/graph';
import { AttentionOptions, LayerBuilder, layerPrefix } from '../layers';
import { decoderWeights, attentionWeights, mlpWeights, WeightShapes } from '../weight-table';

const PLUS_ONE = true; // Gemma's RMSNorm scales by (1 + w); stored weights sit near 0

/** The sandwich block: h = x + norm(attn(norm(x))); out = h + norm(mlp(norm(h))), every norm (1 + w). */
export function gemmaBlock(b: LayerBuilder, x: Value, i: number, attn: AttentionOptions): Value {
  const g = b.g;
  const p = layerPrefix(i);
  const a = b.attention(b.rmsNorm(x, `${p}.input_layernorm`, PLUS_ONE), i, attn);
  const h = g.add(x, b.rmsNorm(a, `${p}.post_attention_layernorm`, PLUS_ONE));
  const m = b.mlp(b.rmsNorm(h, `${p}.pre_feedforward_layernorm`, PLUS_ONE), i);
  return g.add(h, b.rmsNorm(m, `${p}.post_feedforward_layernorm`, PLUS_ONE));
}

/** The Gemma tensors: Llama's plus the two feed-forward norms per layer (and q/k norms for Gemma 3). */
export function gemmaWeights(cfg: Parameters<FamilyDef['weights']>[0], qkNorm: boolean): WeightShapes {
  return decoderWeights(cfg, (m, i) => {
    attentionWeights(m, cfg, i, { qkNorm });
    mlpWeights(m, cfg, i);
    m.set(`${layerPrefix(i)}.pre_feedforward_layernorm.weight`, [cfg.hiddenSize]);
    m.set(`${layerPrefix(i)}.post_feedforward_layernorm.weight`, [cfg.hiddenSize]);
  });
}

/** Hooks shared by Gemma 2 and 3: √hidden input scale, (1 + w) final norm, optional final soft-cap. */
export const gemmaHooks: Pick<FamilyDef, 'embed' | 'finalNorm' | 'logits'> = {
  embed: (b, x) => b.g.mul(x, b.c(Math.sqrt(b.cfg.hiddenSize))), // Gemma quirk: inputs × √hidden (after the gradient point)
  finalNorm: (b, h) => b.rmsNorm(h, 'model.norm', PLUS_ONE),
  logits: (b, logits) => {
    const cap = b.cfg.softcap?.final;
    return cap === undefined ? logits : b.g.mul(b.g.tanh(b.g.div(logits, b.c(cap))), b.c(cap)); // final-logit soft-cap
  },
};

export const gemma2: FamilyDef = {
  name: 'gemma2',
  parseConfig(hf, file) {
    const r = new ConfigReader(hf, file);
    const dims = parseDims(r, { maxPositions: 8192 });
    const act = r.str('hidden_activation', r.str('hidden_act', 'gelu_pytorch_tanh'));
    if (act !== 'gelu_pytorch_tanh' && act !== 'gelu_tanh') r.fail(`hidden_activation "${act}" is not supported for gemma2 (supported: gelu_pytorch_tanh)`);
    const window = r.int('sliding_window', 4096);
    const types = parseLayerTypes(r, dims.numLayers, (i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention'));
    const bias = r.bool('attention_bias', false);
    return {
      modelType: 'gemma2',
      ...dims,
      rope: { theta: r.num('rope_theta', 10000) },
      rotaryDim: dims.headDim,
      layerRope: new Array(dims.numLayers).fill('global'),
      tieWordEmbeddings: r.bool('tie_word_embeddings', true),
      activation: 'gelu_tanh',
      attentionBias: bias,
      attentionOutputBias: bias,
      softcap: { attention: r.optNum('attn_logit_softcapping'), final: r.optNum('final_logit_softcapping') },
      slidingWindow: types.map((t) => (t === 'sliding_attention' ? window : undefined)),
      queryScale: 1 / Math.sqrt(r.num('query_pre_attn_scalar', dims.headDim)),
      bosTokenId: r.bosId(),
      eosTokenIds: r.eosIds(),
    };
  },
  weights: (cfg) => gemmaWeights(cfg, false),
  ...gemmaHooks,
  block: (b, x, i) => gemmaBlock(b, x, i, { softcap: b.cfg.softcap?.attention }), // attention-logit soft-cap
};
