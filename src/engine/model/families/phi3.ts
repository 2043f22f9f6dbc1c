// Phi3ForCausalLM (Phi-3-mini/medium, Phi-3.5-mini, Phi-4-mini): the Llama block with fused projections —
// qkv_proj [(nH + 2·kv)·hd, H] split q | k | v, and gate_up_proj [2I, H] split gate | up — RoPE on only
// the first head_dim × partial_rotary_factor dims (Phi-4-mini: 0.75), LongRoPE ("longrope", formerly
// "su") with short/long factors around original_max_position_embeddings and an attention factor on
// cos/sin, and an optional sliding_window on every layer. No biases; head_dim = hidden / heads.
import { ConfigReader, partialRotaryFactor } from '../config';
import type { FamilyDef } from '../family';
import { Value } from '../../graph/graph';
import { LayerBuilder, layerPrefix } from '../layers';
import { attentionWeights, decoderWeights, mlpWeights } from '../weight-table';
import { parseLlamaLike } from './llama';

function block(b: LayerBuilder, x: Value, i: number): Value {
  const g = b.g;
  const p = layerPrefix(i);
  const h = g.add(x, b.attention(b.rmsNorm(x, `${p}.input_layernorm`), i, { fusedQkv: true })); // Phi-3 quirk: fused qkv_proj
  return g.add(h, b.mlp(b.rmsNorm(h, `${p}.post_attention_layernorm`), i, { fusedGateUp: true })); // Phi-3 quirk: fused gate_up_proj
}

export const phi3: FamilyDef = {
  name: 'phi3',
  parseConfig(hf, file) {
    const r = new ConfigReader(hf, file);
    // Phi-3 has no attention_bias / head_dim keys: no biases, head_dim = hidden / heads.
    const { head_dim: _unused, ...rest } = hf;
    const base = parseLlamaLike({ ...rest, attention_bias: false }, file, 'phi3', { maxPositions: 4096, rmsNormEps: 1e-5 });
    const rotaryDim = Math.floor(base.headDim * partialRotaryFactor(r)); // Phi-3 quirk: partial rotary (int() as in HF)
    const window = r.optNum('sliding_window');
    return {
      ...base,
      rotaryDim,
      slidingWindow: base.slidingWindow.map(() => window), // Phi-3 quirk: sliding_window on every layer when set
    };
  },
  weights: (cfg) => decoderWeights(cfg, (m, i) => { attentionWeights(m, cfg, i, { fusedQkv: true }); mlpWeights(m, cfg, i, { fusedGateUp: true }); }),
  block,
};
