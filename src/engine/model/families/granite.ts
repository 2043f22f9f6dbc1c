// GraniteForCausalLM (Granite 3.0–3.3 dense): the Llama block with four multipliers — input embeddings
// × embedding_multiplier, attention scores scaled by attention_multiplier (in place of head_dim^-½),
// each residual branch × residual_multiplier, and logits ÷ logits_scaling. With all four at 1 it is Llama.
import { ConfigReader } from '../config';
import type { FamilyDef } from '../family';
import { Value } from '../../graph/graph';
import { LayerBuilder, layerPrefix } from '../layers';
import { decoderWeights } from '../weight-table';
import { parseLlamaLike } from './llama';

function mult(b: LayerBuilder): { embedding: number; residual: number; logitsScaling: number } {
  const m = b.cfg.multipliers;
  if (!m) throw new Error('internal: granite config without multipliers');
  return m;
}

/** h = x + attn(norm(x))·m_r; out = h + mlp(norm(h))·m_r. */
function block(b: LayerBuilder, x: Value, i: number): Value {
  const g = b.g;
  const p = layerPrefix(i);
  const rm = b.c(mult(b).residual);
  const h = g.add(x, g.mul(b.attention(b.rmsNorm(x, `${p}.input_layernorm`), i), rm)); // Granite quirk: residual_multiplier
  return g.add(h, g.mul(b.mlp(b.rmsNorm(h, `${p}.post_attention_layernorm`), i), rm));
}

export const granite: FamilyDef = {
  name: 'granite',
  parseConfig(hf, file) {
    const base = parseLlamaLike(hf, file, 'granite', { maxPositions: 2048 });
    const r = new ConfigReader(hf, file);
    return {
      ...base,
      queryScale: r.num('attention_multiplier', 1), // Granite quirk: the score scale is attention_multiplier
      multipliers: { embedding: r.num('embedding_multiplier', 1), residual: r.num('residual_multiplier', 1), logitsScaling: r.num('logits_scaling', 1) },
    };
  },
  weights: (cfg) => decoderWeights(cfg),
  embed: (b, x) => b.g.mul(x, b.c(mult(b).embedding)), // Granite quirk: embedding_multiplier
  block,
  logits: (b, logits) => b.g.div(logits, b.c(mult(b).logitsScaling)), // Granite quirk: logits / logits_scaling
};
