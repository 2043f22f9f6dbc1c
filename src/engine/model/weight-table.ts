// The HF tensor names and shapes a model must provide, from its config: one table for every family.
// HF stores linear weights as [out, in]; we keep that layout (the graph multiplies by Wᵀ).
import { ModelConfig } from './config';
import { layerPrefix } from './layers';

export function expectedWeights(cfg: ModelConfig): Map<string, number[]> {
  const { vocabSize: V, hiddenSize: H, intermediateSize: I, numHeads: nH, numKvHeads: kv, headDim: hd } = cfg;
  const m = new Map<string, number[]>();
  m.set('model.embed_tokens.weight', [V, H]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = layerPrefix(i);
    m.set(`${p}.input_layernorm.weight`, [H]);
    m.set(`${p}.self_attn.q_proj.weight`, [nH * hd, H]);
    m.set(`${p}.self_attn.k_proj.weight`, [kv * hd, H]);
    m.set(`${p}.self_attn.v_proj.weight`, [kv * hd, H]);
    m.set(`${p}.self_attn.o_proj.weight`, [H, nH * hd]);
    if (cfg.attentionBias) {
      m.set(`${p}.self_attn.q_proj.bias`, [nH * hd]);
      m.set(`${p}.self_attn.k_proj.bias`, [kv * hd]);
      m.set(`${p}.self_attn.v_proj.bias`, [kv * hd]);
    }
    m.set(`${p}.post_attention_layernorm.weight`, [H]);
    if (cfg.gemma) {
      m.set(`${p}.pre_feedforward_layernorm.weight`, [H]);
      m.set(`${p}.post_feedforward_layernorm.weight`, [H]);
    }
    m.set(`${p}.mlp.gate_proj.weight`, [I, H]);
    m.set(`${p}.mlp.up_proj.weight`, [I, H]);
    m.set(`${p}.mlp.down_proj.weight`, [H, I]);
  }
  m.set('model.norm.weight', [H]);
  if (!cfg.tieWordEmbeddings) m.set('lm_head.weight', [V, H]);
  return m;
}
