// Qwen2ForCausalLM (Qwen2, Qwen2.5): the Llama block with biases on q/k/v (not on o), tied head on the
// small models, and an optional sliding window on layers ≥ max_window_layers (off in released configs).
import { ConfigReader, parseLayerTypes } from '../config';
import type { FamilyDef } from '../family';
import { decoderWeights } from '../weight-table';
import { llamaBlock, parseLlamaLike } from './llama';

export const qwen2: FamilyDef = {
  name: 'qwen2',
  parseConfig(hf, file) {
    const base = parseLlamaLike({ tie_word_embeddings: false, ...hf, attention_bias: false }, file, 'qwen2', { maxPositions: 32768 });
    const r = new ConfigReader(hf, file);
    // use_sliding_window gates sliding_window; layer_types, when given, says which layers slide.
    const window = r.bool('use_sliding_window', false) ? r.optNum('sliding_window') : undefined;
    const from = r.int('max_window_layers', base.numLayers);
    const types = parseLayerTypes(r, base.numLayers, (i) => (window !== undefined && i >= from ? 'sliding_attention' : 'full_attention'));
    return {
      ...base,
      attentionBias: true, // Qwen2 quirk: q/k/v always carry biases ...
      attentionOutputBias: false, // ... and o_proj never does
      slidingWindow: types.map((t) => (t === 'sliding_attention' ? window : undefined)),
    };
  },
  weights: (cfg) => decoderWeights(cfg),
  block: llamaBlock,
};
