// Qwen2ForCausalLM (Qwen2, Qwen2.5): the Llama block with biases on q/k/v (not on o), tied head on the
// small models, and an optional sliding window on layers ≥ max_window_layers (off in released configs).
import { ConfigReader, FamilyDef, registerFamily } from '../config';
import { llamaBlock, parseLlamaLike } from './llama';

export const qwen2: FamilyDef = {
  modelTypes: ['qwen2'],
  parseConfig(hf, file) {
    const base = parseLlamaLike({ tie_word_embeddings: false, ...hf, attention_bias: true }, file, 'qwen2');
    const r = new ConfigReader(hf, file);
    let slidingWindow = base.slidingWindow;
    if (r.bool('use_sliding_window', false)) {
      const w = r.int('sliding_window');
      const from = r.int('max_window_layers', base.numLayers);
      slidingWindow = slidingWindow.map((_, i) => (i >= from ? w : undefined));
    }
    return { ...base, slidingWindow };
  },
  // Same block as Llama; the q/k/v biases come from attentionBias = true above.
  block: llamaBlock,
};
registerFamily(qwen2);
