// The family interface: how a model family reads its config.json, which tensors it has, and its graph built
// from the shared layers. Apart from config.ts so that the config types do not depend on the layer builder.
import type { Value } from '../graph/graph';
import type { HfConfig, ModelConfig } from './config';
import type { LayerBuilder } from './layers';

/**
 * One model family: how its config.json reads, which tensors it has, and its graph, top to bottom
 * (embed → blocks → final norm → head). Hooks left out take the Llama default.
 */
export interface FamilyDef {
  /** For messages, e.g. "qwen3". */
  readonly name: string;
  parseConfig(hf: HfConfig, file: string): ModelConfig;
  /** Every tensor the graph reads, by HF name, with its shape. */
  weights(cfg: ModelConfig): Map<string, number[]>;
  /** Other names a tensor may have in a checkpoint (e.g. Gemma 3's multimodal "language_model." prefix), tried in order. */
  checkpointNames?(name: string): string[];
  /** Input embeddings [B,S,H] → what the first block sees (Gemma's √hidden, Granite's multiplier). */
  embed?(b: LayerBuilder, x: Value): Value;
  /** One decoder layer, x [B,S,H] → [B,S,H]. */
  block(b: LayerBuilder, x: Value, layer: number): Value;
  /** Final norm of gathered rows [R,H] (default: RMSNorm model.norm). */
  finalNorm?(b: LayerBuilder, h: Value): Value;
  /** Logits [R,V] after the LM head (soft-capping, Granite's logits_scaling). */
  logits?(b: LayerBuilder, logits: Value): Value;
}
