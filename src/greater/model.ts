// The one interface through which the optimizer reaches a language model (STYLE: the loop never sees
// ONNX). The engine's LanguageModel satisfies it structurally; tests may script it.
import type {
  ChatMessage, EngineCounters, GenerateOptions, Generation, GradItem, GradResult,
} from '../engine';
import type { PassCounts } from './events';

/** The engine's counters are the run's pass counts: one concept, checked here both ways at compile time. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const countersArePassCounts: Same<EngineCounters, PassCounts> = true;
void countersArePassCounts;

export type FloatArray = Float32Array | Float64Array;

export interface TokenizerPort {
  readonly specialIds: ReadonlySet<number>;
  readonly vocabSize: number;
  tokenText(id: number): string;
}

export interface ModelPort {
  readonly config: {
    readonly vocabSize: number; readonly hiddenSize: number; readonly maxPositions: number;
    /** The KV cache's shape (a scripted test model may leave it out): sizes a generation batch's memory. */
    readonly numLayers?: number; readonly numKvHeads?: number; readonly headDim?: number;
  };
  readonly tokenizer: TokenizerPort;
  readonly stopIds: number[];
  readonly counters: PassCounts;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  chatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
  embeddingRow(id: number): FloatArray;
  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]>;
  nextTokenLogProbs(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[], opts?: { prefixLengths?: readonly number[] }): Promise<FloatArray[]>;
  inputGradient(items: readonly GradItem[]): Promise<GradResult[]>;
}

export type { Generation, GradItem, GradResult, PassCounts };

/** Pass counts since `before` (a snapshot of counters). */
export function countsSince(m: ModelPort, before: PassCounts): PassCounts {
  return {
    forwardPasses: m.counters.forwardPasses - before.forwardPasses,
    backwardPasses: m.counters.backwardPasses - before.backwardPasses,
    generatedTokens: m.counters.generatedTokens - before.generatedTokens,
  };
}

export function snapshot(m: ModelPort): PassCounts {
  return { ...m.counters };
}
