// MistralForCausalLM (Mistral 7B v0.1–v0.3, Mistral Nemo, Mistral Small text models) and
// MinistralForCausalLM (Ministral-8B): the Llama block without any attention bias, explicit head_dim
// where given (Nemo: 128 ≠ 5120 / 32), and a sliding window: MistralConfig defaults sliding_window to
// 4096 when the key is absent and disables it when null; "ministral" picks the sliding layers by layer_types.
import { ConfigReader, HfConfig, ModelConfig, parseLayerTypes } from '../config';
import type { FamilyDef } from '../family';
import { decoderWeights } from '../weight-table';
import { llamaBlock, parseLlamaLike } from './llama';

function parseMistral(hf: HfConfig, file: string): ModelConfig {
  const modelType = hf.model_type === 'ministral' ? 'ministral' : 'mistral';
  // Mistral has no attention_bias key: q/k/v/o never carry biases.
  const base = parseLlamaLike({ ...hf, attention_bias: false, mlp_bias: false }, file, modelType, { maxPositions: 4096 * 32, numKvHeads: 8 });
  const r = new ConfigReader(hf, file);
  const window = hf.sliding_window === undefined ? 4096 : r.optNum('sliding_window'); // absent → 4096, null → none
  // Mistral slides on every layer; Ministral reads layer_types (default: every layer slides when a window is set).
  const types = modelType === 'ministral' ? parseLayerTypes(r, base.numLayers, () => (window !== undefined ? 'sliding_attention' : 'full_attention')) : null;
  return { ...base, slidingWindow: Array.from({ length: base.numLayers }, (_, i) => (types && types[i] === 'full_attention' ? undefined : window)) };
}

export const mistral: FamilyDef = {
  name: 'mistral',
  parseConfig: parseMistral,
  weights: (cfg) => decoderWeights(cfg),
  block: llamaBlock,
};
