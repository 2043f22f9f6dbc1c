// One example checkpoint per supported family, with the config.json keys that size it (as published in each
// hub repo; rope factor lists and token ids left out: they do not change the tensor table). The README's
// family table is generated from these through the engine's own weight table and memory estimate
// (familyTable below), and a test keeps the README in step.
import { neededBytesFor } from '../../weights/memory';
import { parameterCount } from '../weight-table';
import { expectedWeights, parseHfConfig } from './index';

export interface FamilyExample {
  hubId: string;
  config: Record<string, unknown>;
}

export const FAMILY_EXAMPLES: readonly FamilyExample[] = [
  { hubId: 'meta-llama/Llama-3.2-1B-Instruct', config: { model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, max_position_embeddings: 131072, tie_word_embeddings: true } },
  { hubId: 'Qwen/Qwen2.5-0.5B-Instruct', config: { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, tie_word_embeddings: true } },
  { hubId: 'Qwen/Qwen3-0.6B', config: { model_type: 'qwen3', vocab_size: 151936, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 40960, tie_word_embeddings: true } },
  { hubId: 'Qwen/Qwen3-4B', config: { model_type: 'qwen3', vocab_size: 151936, hidden_size: 2560, intermediate_size: 9728, num_hidden_layers: 36, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 128, max_position_embeddings: 40960, tie_word_embeddings: true } },
  { hubId: 'google/gemma-2-2b-it', config: { model_type: 'gemma2', vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 8192 } },
  { hubId: 'google/gemma-3-1b-it', config: { model_type: 'gemma3_text', vocab_size: 262144, hidden_size: 1152, intermediate_size: 6912, num_hidden_layers: 26, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256, sliding_window: 512, max_position_embeddings: 32768 } },
  { hubId: 'microsoft/Phi-4-mini-instruct', config: { model_type: 'phi3', vocab_size: 200064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 24, num_key_value_heads: 8, partial_rotary_factor: 0.75, max_position_embeddings: 131072, tie_word_embeddings: true } },
  { hubId: 'HuggingFaceTB/SmolLM3-3B', config: { model_type: 'smollm3', vocab_size: 128256, hidden_size: 2048, intermediate_size: 11008, num_hidden_layers: 36, num_attention_heads: 16, num_key_value_heads: 4, max_position_embeddings: 65536, tie_word_embeddings: true } },
  { hubId: 'ibm-granite/granite-3.3-2b-instruct', config: { model_type: 'granite', vocab_size: 49159, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 40, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 131072, tie_word_embeddings: true } },
  { hubId: 'mistralai/Mistral-7B-Instruct-v0.3', config: { model_type: 'mistral', vocab_size: 32768, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, max_position_embeddings: 32768, sliding_window: null, tie_word_embeddings: false } },
];

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** The README table: family, example hub id, parameters and memory at fp32 / fp16 from the engine's estimate. */
export function familyTable(): string {
  const rows = FAMILY_EXAMPLES.map(({ hubId, config }) => {
    const cfg = parseHfConfig(config, hubId);
    const params = parameterCount(expectedWeights(cfg));
    return `| \`${config.model_type as string}\` | ${hubId} | ${(params / 1e9).toFixed(2)}B | ${gib(neededBytesFor(params, 'float32'))} | ${gib(neededBytesFor(params, 'float16'))} |`;
  });
  return ['| model_type | example | parameters | memory, fp32 | memory, fp16 |', '|---|---|---|---|---|', ...rows].join('\n');
}
