// The one interface through which the optimizer reaches a language model (STYLE: the loop never sees
// ONNX). The engine's LanguageModel satisfies it structurally; tests may script it.
import type {
  EngineCounters, GenerateOptions, Generation, GradItem, GradResult,
} from '../engine';
import type { ChatMessage } from '../engine';

export type FloatArray = Float32Array | Float64Array;

export interface TokenizerPort {
  readonly specialIds: ReadonlySet<number>;
  readonly vocabSize: number;
  tokenText(id: number): string;
}

export interface ModelPort {
  readonly config: { readonly vocabSize: number; readonly hiddenSize: number; readonly maxPositions: number };
  readonly tokenizer: TokenizerPort;
  readonly stopIds: number[];
  readonly counters: EngineCounters;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  chatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
  embeddingRow(id: number): FloatArray;
  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]>;
  nextTokenLogProbs(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[]): Promise<FloatArray[]>;
  inputGradient(items: readonly GradItem[]): Promise<GradResult[]>;
}

export type { EngineCounters, Generation, GradItem, GradResult };

/** Pass counts since `before` (a snapshot of counters). */
export function countsSince(m: ModelPort, before: EngineCounters): EngineCounters {
  return {
    forwardPasses: m.counters.forwardPasses - before.forwardPasses,
    backwardPasses: m.counters.backwardPasses - before.backwardPasses,
    generatedTokens: m.counters.generatedTokens - before.generatedTokens,
  };
}

export function snapshot(m: ModelPort): EngineCounters {
  return { ...m.counters };
}
