// Qwen3ForCausalLM (Qwen3-0.6B … 32B, Qwen3-2507): the Llama block plus a per-head RMSNorm on q and k
// (q_norm / k_norm, weights [head_dim]) applied after the projections and before RoPE; head_dim is
// explicit (128, ≠ hidden / heads on most sizes); no q/k/v bias by default; tied head on the small sizes.
// Sliding window as Qwen2 (use_sliding_window, max_window_layers; off in released configs).
import { ConfigReader, parseLayerTypes } from '../config';
import type { FamilyDef } from '../family';
import { Value } from '../../graph/graph';
import { LayerBuilder, layerPrefix } from '../layers';
import { attentionWeights, decoderWeights, mlpWeights } from '../weight-table';
import { parseLlamaLike } from './llama';

/** Llama's pre-norm block with q/k norms inside attention. */
function block(b: LayerBuilder, x: Value, i: number): Value {
  const g = b.g;
  const p = layerPrefix(i);
  const h = g.add(x, b.attention(b.rmsNorm(x, `${p}.input_layernorm`), i, { qkNorm: 'w' })); // Qwen3 quirk: q/k RMSNorm before RoPE
  return g.add(h, b.mlp(b.rmsNorm(h, `${p}.post_attention_layernorm`), i));
}

export const qwen3: FamilyDef = {
  name: 'qwen3',
  parseConfig(hf, file) {
    // Qwen3Config defaults: head_dim 128, max_position_embeddings 32768, untied.
    const base = parseLlamaLike(hf, file, 'qwen3', { maxPositions: 32768, headDim: 128 });
    const r = new ConfigReader(hf, file);
    const window = r.bool('use_sliding_window', false) ? r.num('sliding_window', 4096) : undefined;
    const from = r.int('max_window_layers', 28);
    const types = parseLayerTypes(r, base.numLayers, (i) => (window !== undefined && i >= from ? 'sliding_attention' : 'full_attention'));
    return { ...base, slidingWindow: types.map((t) => (t === 'sliding_attention' ? window : undefined)) };
  },
  weights: (cfg) => decoderWeights(cfg, (m, i) => { attentionWeights(m, cfg, i, { qkNorm: true }); mlpWeights(m, cfg, i); }),
  block,
};
