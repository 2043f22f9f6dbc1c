// The engine's public data types: what callers pass to and get back from LanguageModel.
import { ResolveOptions } from './hub';
import { FloatArray } from './model/rope';
import { QuantizeChoice } from './model/quantize';
import type { PrecisionChoice } from './precision';
import { DeviceChoice } from './runtime/session';

export interface LoadOptions extends ResolveOptions {
  device?: DeviceChoice;
  /** float64 is for verification (finite differences); float32 is the working precision. */
  dtype?: 'float32' | 'float64';
  /** Skip the tokenizer (engine tests on random weights). */
  withoutTokenizer?: boolean;
  /**
   * Where inference sessions keep the weights. 'inputs': one host copy fed to every run (least memory;
   * needed for training). 'resident': written once to an external-data file each session loads (faster
   * kernels on CPU, no per-run host→device copy on a GPU; one copy per session). Default: resident on a
   * GPU, and on CPU when two copies take under half the available memory; else inputs.
   */
  weights?: 'inputs' | 'resident';
  /**
   * Weight-only quantization of generation on CPU (onnxruntime's MatMulNBits): linear layers at 8 or 4 bits,
   * the LM head at 8; the gradient graphs keep float32. `auto`: see precision.ts. Default none.
   */
  quantize?: QuantizeChoice;
  /** fp16 on WebGPU: weights and matrix products in float16 (precision.ts). Default fp32. */
  precision?: PrecisionChoice;
  /**
   * Input gradients will be taken (GReaTer). On CPU the forward and gradient graphs share one session; with this
   * hint it is made at the first call, instead of a forward-only session that the first gradient replaces
   * (which holds both for a moment: the run's peak memory).
   */
  gradients?: boolean;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Default: the tokenizer's and config's EOS ids. */
  stopIds?: readonly number[];
  /** Called after each decoding step with the number of tokens generated so far. */
  onStep?: (step: number) => void;
  /**
   * Sees the logits [B × vocab] from which step `step` (0-based) picks its tokens. Costs a B × vocab copy to
   * the host per step: without it, decoding picks tokens inside the graph and returns only their ids.
   */
  onLogits?: (step: number, logits: FloatArray) => void;
  /**
   * Per prompt, tokens teacher-forced after its generation (stop token excluded) through the same KV
   * cache, e.g. an extractor plus the gold answer: scoring costs one extra pass, no re-encoding.
   */
  suffixes?: readonly (readonly number[])[];
  /**
   * Per prompt, the first suffix token whose score is wanted (default 0): the tokens before it (an extractor's
   * words) are fed through the cache but not scored, which spares the vocabulary-wide product on their rows.
   * Their entries read argmax −1 and log-probability NaN.
   */
  suffixScoredFrom?: readonly number[];
  /**
   * Per prompt, log-probabilities to read from the prefill pass at no extra cost: target `id` at logit row
   * `position` of that prompt (row p predicts the token after p), e.g. a prompt's own tokens for fluency.
   */
  promptScores?: readonly (readonly { position: number; id: number }[])[];
  /**
   * Per prompt, how many leading tokens form a reusable prefix (e.g. template + question): its keys and
   * values are computed once and kept in the model's prefix cache for later calls (GReaTer evaluates many
   * prompts that share each sample's question). Results are the same as without it.
   */
  prefixLengths?: readonly number[];
}

export interface SuffixScore {
  /** For each suffix token: the model's greedy choice there and the log-probability of the suffix token. */
  argmax: number[];
  logProbs: number[];
}

export interface Generation {
  /** Generated tokens, the stop token excluded. */
  ids: number[];
  finish: 'stop' | 'length';
  suffix?: SuffixScore;
  /** log p(id | prompt[..position]) for each of `promptScores`, in order. */
  promptLogProbs?: number[];
}

export interface GradTarget {
  /** Logit row: the target is the token predicted after input position `position`. */
  position: number;
  id: number;
  /** Weight in the loss (default 1 / number of targets of the item). */
  weight?: number;
  /** Logits are divided by it (default 1). */
  temperature?: number;
}

export interface GradItem {
  ids: readonly number[];
  targets: readonly GradTarget[];
  /** Input positions whose gradient is wanted (default: all). */
  gradPositions?: readonly number[];
  /** Replace the embedding fed at these positions (default: the table rows of `ids`). */
  embeddingOverrides?: ReadonlyMap<number, FloatArray>;
  /**
   * Leading tokens (e.g. template + question) whose keys/values may come from the model's prefix cache, as with
   * GenerateOptions.prefixLengths: they are not run through the gradient graph again. Results are the same as
   * without it; the engine uses less where a gradient position, an override or a target needs it.
   */
  prefixLength?: number;
}

export interface GradResult {
  loss: number;
  nll: number[];
  /** ∂loss/∂x_p for each requested position p, hiddenSize floats each. */
  grad: FloatArray[];
}

export interface EngineCounters {
  /** Sequences run through the model (one per prompt per call; filling the prefix cache is not counted again). */
  forwardPasses: number;
  backwardPasses: number;
  generatedTokens: number;
}
