// The HF tensor names and shapes of the shared layers (embedding, attention, gated MLP, norms, head), which
// each family's weights() composes and extends with its own tensors. HF stores linear weights as
// [out, in]; we keep that layout (the graph multiplies by Wᵀ).
import { ModelConfig } from './config';
import { layerPrefix } from './layers';

export type WeightShapes = Map<string, number[]>;

/** Tensors of one layer's attention: q/k/v/o (or Phi-3's fused qkv), biases as the config says. */
export function attentionWeights(m: WeightShapes, cfg: ModelConfig, i: number, opts: { fusedQkv?: boolean; qkNorm?: boolean } = {}): void {
  const { hiddenSize: H, numHeads: nH, numKvHeads: kv, headDim: hd } = cfg;
  const p = `${layerPrefix(i)}.self_attn`;
  const proj: [string, number][] = opts.fusedQkv ? [['qkv_proj', (nH + 2 * kv) * hd]] : [['q_proj', nH * hd], ['k_proj', kv * hd], ['v_proj', kv * hd]];
  for (const [name, out] of proj) {
    m.set(`${p}.${name}.weight`, [out, H]);
    if (cfg.attentionBias) m.set(`${p}.${name}.bias`, [out]);
  }
  m.set(`${p}.o_proj.weight`, [H, nH * hd]);
  if (cfg.attentionOutputBias) m.set(`${p}.o_proj.bias`, [H]);
  if (opts.qkNorm) {
    m.set(`${p}.q_norm.weight`, [hd]);
    m.set(`${p}.k_norm.weight`, [hd]);
  }
}

/** Tensors of one layer's gated MLP (or Phi-3's fused gate_up). */
export function mlpWeights(m: WeightShapes, cfg: ModelConfig, i: number, opts: { fusedGateUp?: boolean } = {}): void {
  const { hiddenSize: H, intermediateSize: I } = cfg;
  const p = `${layerPrefix(i)}.mlp`;
  if (opts.fusedGateUp) m.set(`${p}.gate_up_proj.weight`, [2 * I, H]);
  else {
    m.set(`${p}.gate_proj.weight`, [I, H]);
    m.set(`${p}.up_proj.weight`, [I, H]);
  }
  m.set(`${p}.down_proj.weight`, [H, I]);
}

/**
 * The Llama layout: embedding, per layer input/post-attention norms + attention + MLP, final norm, head
 * (absent when tied). `layer` adds a family's own per-layer tensors or options.
 */
export function decoderWeights(cfg: ModelConfig, layer: (m: WeightShapes, i: number) => void = (m, i) => { attentionWeights(m, cfg, i); mlpWeights(m, cfg, i); }): WeightShapes {
  const { vocabSize: V, hiddenSize: H } = cfg;
  const m: WeightShapes = new Map();
  m.set('model.embed_tokens.weight', [V, H]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = layerPrefix(i);
    m.set(`${p}.input_layernorm.weight`, [H]);
    m.set(`${p}.post_attention_layernorm.weight`, [H]);
    layer(m, i);
  }
  m.set('model.norm.weight', [H]);
  if (!cfg.tieWordEmbeddings) m.set('lm_head.weight', [V, H]);
  return m;
}

/** Parameters counted from the tensor table (what the engine loads), for memory estimates. */
export function parameterCount(shapes: WeightShapes): number {
  let n = 0;
  for (const s of shapes.values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
