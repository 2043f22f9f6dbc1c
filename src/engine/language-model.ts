// LanguageModel: the engine's one public face. Loads an HF folder (or hub id) once and offers tokenization,
// batched greedy generation with a KV cache, teacher-forced logits, next-token log-probs and input-embedding
// gradients. Knows nothing of prompts. The work lives in decoding/, gradients/ and runtime/session-set.ts.
import { EngineContext } from './engine-context';
import { UserError } from './errors';
import { resolveModelDir } from './hub';
import { ModelConfig } from './model/config';
import type { FamilyDef } from './model/family';
import { expectedWeights, familyOf, readConfigFile } from './model/families/index';
import { linearParameterCount } from './model/quantize';
import { FloatArray, RotaryTables } from './model/rope';
import { Precision, QuantizeMode, resolvePrecision, resolveQuantize } from './precision';
import { forwardStep } from './decoding/forward-step';
import { generate } from './decoding/generate';
import { logSoftmaxInPlace } from './decoding/log-probs';
import { PrefixCache } from './decoding/prefix-cache';
import { KvCache, leftPadAfterPrefixes } from './decoding/kv-cache';
import { inputGradient, weightGradient } from './gradients/gradients';
import { Device, resolveDevice } from './runtime/session';
import { CachedWeights, SessionSet } from './runtime/session-set';
import { WeightsCache, cacheKey, cacheMinBytes, weightsCacheRoot } from './runtime/weights-cache';
import { ChatMessage, Tokenizer } from './tokenizer';
import { EngineCounters, GenerateOptions, Generation, GradItem, GradResult, LoadOptions } from './types';
import { indexWeightsDir, loadWeightsDir } from './weights/safetensors';
import { availableMemory } from './weights/memory';

export { argmax } from './decoding/log-probs';
export type { LoadOptions, GenerateOptions, Generation, SuffixScore, GradItem, GradResult, GradTarget, EngineCounters } from './types';

export class LanguageModel {
  readonly counters: EngineCounters = { forwardPasses: 0, backwardPasses: 0, generatedTokens: 0 };
  private readonly ctx: EngineContext;
  private readonly sessions: SessionSet;
  private readonly prefixCache: PrefixCache;

  private constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    family: FamilyDef,
    private readonly weights: Map<string, FloatArray>,
    private readonly tok: Tokenizer | null,
    readonly device: Device,
    readonly dtype: 'float32' | 'float64',
    readonly deviceNote: string | undefined,
    readonly weightsMode: 'inputs' | 'resident',
    /** Weight-only quantization of generation (prefill, decoding, scoring); gradients stay float. */
    readonly quantize: QuantizeMode,
    /** fp16: weights and matrix products in float16 on the GPU; norms, softmax, loss and gradients float32. */
    readonly precision: Precision,
    expectGradients: boolean,
    cached: CachedWeights | null,
  ) {
    this.sessions = new SessionSet(config, family, device, dtype, weights, weightsMode, quantize, precision, expectGradients, cached);
    this.ctx = {
      config, family, dtype,
      make: dtype === 'float32' ? (n) => new Float32Array(n) : (n) => new Float64Array(n),
      rotary: new RotaryTables(config),
      sessions: this.sessions,
      counters: this.counters,
      checkIds: (ids) => this.checkIds(ids),
    };
    this.prefixCache = new PrefixCache(this.ctx);
  }

  /** Whether decoding keeps its KV cache in device memory (WebGPU) rather than on the host. */
  get kvCacheOnDevice(): boolean {
    return this.sessions.deviceKv;
  }

  /** onnxruntime sessions alive now: on CPU the forward and gradient graphs share one (runtime/session-set.ts). */
  get liveSessions(): number {
    return this.sessions.liveSessions;
  }

  get prefixStats(): { hits: number; misses: number } {
    return this.prefixCache.stats;
  }

  static async load(model: string, opts: LoadOptions = {}): Promise<LanguageModel> {
    const resolved = await resolveModelDir(model, opts);
    const { config } = readConfigFile(resolved.dir);
    const family = familyOf(config.modelType);
    const tok = opts.withoutTokenizer ? null : await Tokenizer.load(resolved.dir);
    // Every id the tokenizer can produce from text needs an embedding row. Special tokens past the table are
    // tolerated (Gemma 3's shared tokenizer adds <image_soft_token> = 262144 to gemma-3-1b's 262144-row
    // table); feeding one is refused by checkIds.
    if (tok && tok.vocabSize > config.vocabSize) {
      let regular = -1;
      for (let id = config.vocabSize; id < tok.vocabSize && regular < 0; id++) if (!tok.specialIds.has(id)) regular = id;
      if (regular >= 0) throw new UserError(`${resolved.dir}: tokenizer has ${tok.vocabSize} tokens (id ${regular} is a regular token) but config.json vocab_size is ${config.vocabSize}`);
    }
    const dtype = opts.dtype ?? 'float32';
    const dev = await resolveDevice(opts.device ?? 'cpu');
    // Before the weights are read: a format the device cannot run fails at once.
    const quantize = resolveQuantize(opts.quantize ?? 'none', dev.device, dtype, linearParameterCount(expectedWeights(config), config.tieWordEmbeddings));
    const precision = await resolvePrecision(opts.precision ?? 'fp32', dev.device, dtype, quantize);
    const { files, sources } = LanguageModel.indexWeights(resolved.dir, config, family);
    // Resident is faster (prepacked kernels on CPU; one upload on a GPU) but keeps a copy per session
    // (forward + gradient); fall back to one shared host copy when two would not fit comfortably.
    const elements = [...expectedWeights(config).values()].reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
    const twoCopies = 2 * (dtype === 'float32' ? 4 : 8) * elements;
    const mode = opts.weights ?? (dev.device !== 'cpu' || twoCopies < 0.5 * availableMemory() ? 'resident' : 'inputs');
    const cached = mode === 'resident' ? LanguageModel.cachedWeights(files, config, precision === 'fp16' ? 'float16' : dtype, elements) : null;
    // On a cache hit the sessions read their weights from the cache: the host needs only the embedding table
    // (and, to quantize them, the linear layers).
    const wanted = cached?.hit && quantize === 'none' ? ['model.embed_tokens.weight'] : [...sources.keys()];
    const loaded = loadWeightsDir(resolved.dir, new Set(wanted.map((n) => sources.get(n)!)));
    const weights = new Map(wanted.map((n) => {
      const t = loaded.get(sources.get(n)!)!;
      return [n, dtype === 'float32' ? t.data : Float64Array.from(t.data)] as [string, FloatArray];
    }));
    return new LanguageModel(resolved.dir, config, family, weights, tok, dev.device, dtype, dev.note, mode, quantize, precision, opts.gradients ?? false, cached);
  }

  /**
   * Every tensor the config implies must be present with its exact shape (read from the headers); extras are
   * ignored. Returns the weight files and, per tensor, the name it has in the checkpoint.
   */
  private static indexWeights(dir: string, config: ModelConfig, family: FamilyDef): { files: string[]; sources: Map<string, string> } {
    const { files, tensors } = indexWeightsDir(dir);
    const sources = new Map<string, string>();
    for (const [name, shape] of expectedWeights(config)) {
      // A family may store a tensor under another name (Gemma 3's multimodal checkpoints).
      const source = [name, ...(family.checkpointNames?.(name) ?? [])].find((n) => tensors.has(n));
      if (!source) throw new UserError(`${dir}: weight "${name}" is missing (expected shape [${shape}] for this config.json)`);
      const t = tensors.get(source)!;
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new UserError(`${dir}: weight "${name}" has shape [${t.shape}] but config.json implies [${shape}]`);
      }
      sources.set(name, source);
    }
    return { files, sources };
  }

  /** The weights cache's entry for this checkpoint in the `compute` format (runtime/weights-cache.ts), or null when off or too small. */
  private static cachedWeights(files: readonly string[], config: ModelConfig, compute: string, elements: number): CachedWeights | null {
    const root = weightsCacheRoot();
    const bytes = elements * (compute === 'float16' ? 2 : compute === 'float64' ? 8 : 4);
    if (!root || bytes < cacheMinBytes()) return null;
    const cache = new WeightsCache(root);
    const key = cacheKey({ files, compute, tied: config.tieWordEmbeddings, names: [...expectedWeights(config).keys()] });
    return { cache, key, sources: files, bytes, hit: cache.open(key) };
  }

  // ---- tokenization ----------------------------------------------------------------------------
  get tokenizer(): Tokenizer {
    if (!this.tok) throw new UserError(`${this.dir}: this model was loaded without a tokenizer`);
    return this.tok;
  }
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    return this.tokenizer.encode(text, opts);
  }
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    return this.tokenizer.decode([...ids], opts);
  }
  chatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string {
    return this.tokenizer.applyChatTemplate(messages, opts);
  }
  /** Default stop tokens: tokenizer EOS ids ∪ config EOS ids. */
  get stopIds(): number[] {
    return [...new Set([...(this.tok?.eosIds ?? []), ...this.config.eosTokenIds])];
  }
  /** The input-embedding row of a token (before any model-specific scaling). */
  embeddingRow(id: number): FloatArray {
    this.checkIds([id]);
    const H = this.config.hiddenSize;
    return this.weights.get('model.embed_tokens.weight')!.subarray(id * H, (id + 1) * H);
  }
  get embeddingTable(): FloatArray {
    return this.weights.get('model.embed_tokens.weight')!;
  }

  private checkIds(ids: readonly number[]): void {
    const V = this.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new UserError(`token id ${id} is out of range: this model's vocabulary has ids 0..${V - 1}`);
    }
  }

  // ---- public inference API ------------------------------------------------------------------------
  /**
   * Greedy continuation of each prompt, batched with left padding and a KV cache. A row stops at its
   * first stop token; the batch stops when every row has stopped or after maxNewTokens.
   */
  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]> {
    return generate(this.ctx, this.prefixCache, this.stopIds, prompts, opts);
  }

  /**
   * Teacher-forced logits for each sequence (right-padded into one batch): row i of a sequence's
   * result predicts its token i+1. Returns [len × vocab] per sequence.
   */
  async logits(seqs: readonly (readonly number[])[]): Promise<FloatArray[]> {
    return this.logitsAt(seqs, seqs.map((s) => [...s.keys()]));
  }

  /**
   * Logits at chosen positions of each sequence: [positions.length × vocab] per sequence. `prefixLengths` (as in
   * GenerateOptions): leading tokens whose keys/values come from the prefix cache, and the logits after them from
   * what it stored; only the rest runs through the model (nothing at all for a position at a prefix's end).
   */
  async logitsAt(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[], prefixLengths?: readonly number[]): Promise<FloatArray[]> {
    if (!seqs.length) return [];
    seqs.forEach((s) => this.checkIds(s));
    const B = seqs.length;
    const longest = Math.max(...seqs.map((s) => s.length));
    if (longest > this.config.maxPositions) throw new UserError(`a sequence of ${longest} tokens exceeds the model's context window of ${this.config.maxPositions} tokens`);
    positions.forEach((ps, b) => ps.forEach((p) => {
      if (p < 0 || p >= seqs[b].length) throw new UserError(`position ${p} is outside sequence ${b} of length ${seqs[b].length}`);
    }));
    // A prefix ends at most after the first wanted position (its stored logits are that row's).
    const lengths = prefixLengths?.map((n, b) => Math.min(n, Math.min(...positions[b]) + 1)) ?? null;
    const pre = lengths && lengths.some((n) => n > 0) ? await this.prefixCache.statesFor(seqs, lengths, true) : null;
    const skip = seqs.map((_, b) => pre?.[b].n ?? 0);
    const { ids, pos, L: S } = leftPadAfterPrefixes(seqs, skip);
    const rows: number[] = [];
    positions.forEach((ps, b) => ps.forEach((p) => { if (p >= skip[b]) rows.push(b * S + S - seqs[b].length + p); }));
    let logits: FloatArray | null = null;
    if (rows.length) {
      const P0 = Math.max(0, ...skip);
      const cache = pre && P0 ? new KvCache(B, P0, this.config, this.ctx.make) : null;
      if (cache) cache.setPrefixes(pre!);
      logits = (await forwardStep(this.ctx, ids, pos, B, S, cache, { rows, logits: true })).logits!;
    }
    const V = this.config.vocabSize;
    const out: FloatArray[] = [];
    let r = 0;
    positions.forEach((ps, b) => {
      const rowsOf = this.ctx.make(ps.length * V);
      ps.forEach((p, k) => {
        if (p < skip[b]) rowsOf.set(pre![b].lastLogits, k * V); // p = n − 1, the prefix's last row
        else rowsOf.set(logits!.subarray(r * V, (r++ + 1) * V), k * V);
      });
      out.push(rowsOf);
    });
    return out;
  }

  /** log-softmax of the logits at the given positions, [positions.length × vocab] per sequence (see logitsAt). */
  async nextTokenLogProbs(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[], opts: { prefixLengths?: readonly number[] } = {}): Promise<FloatArray[]> {
    const rows = await this.logitsAt(seqs, positions, opts.prefixLengths);
    const V = this.config.vocabSize;
    for (const r of rows) for (let o = 0; o < r.length; o += V) logSoftmaxInPlace(r, o, V);
    return rows;
  }

  /**
   * Loss = Σ_targets w·CE(logits[position] / temperature, id) per item, and its gradient with respect to
   * the input embedding rows x_p (before any model-specific scaling) at the requested positions.
   * Items are batched with right padding; items do not interact, so each gets its own gradient. Items run in
   * consecutive groups whose activations fit `activationBudget` bytes (default: a quarter of the free memory,
   * within 256 MiB–2 GiB); the results do not depend on the grouping.
   */
  inputGradient(items: readonly GradItem[], opts: { activationBudget?: number } = {}): Promise<GradResult[]> {
    return inputGradient(this.ctx, this.prefixCache, items, opts.activationBudget);
  }

  /**
   * Training: the summed loss of all items (each as in inputGradient) and its gradient with respect to every
   * weight, keyed by HF tensor name (tied embeddings receive both the input and the head contributions).
   */
  weightGradient(items: readonly Pick<GradItem, 'ids' | 'targets'>[]): Promise<{ loss: number; perItem: number[]; grads: Map<string, FloatArray> }> {
    return weightGradient(this.ctx, items);
  }

  /** Replaces weights in place (training updates); shapes must not change. */
  setWeights(updates: ReadonlyMap<string, FloatArray>): void {
    if (this.weightsMode === 'resident') throw new Error('setWeights: load the model with weights: "inputs" to change its weights');
    if (this.quantize !== 'none' || this.precision !== 'fp32') throw new Error('setWeights: a quantized or float16 model cannot change its weights (its graphs hold converted copies)');
    this.clearPrefixCache(); // cached keys/values belong to the old weights
    for (const [name, data] of updates) {
      const cur = this.weights.get(name);
      if (!cur || cur.length !== data.length) throw new Error(`setWeights: ${name} is not a weight of this model or has the wrong size`);
      cur.set(data);
    }
  }

  /** Current weights by HF name (live views: copy before mutating elsewhere). */
  get weightMap(): ReadonlyMap<string, FloatArray> {
    return this.weights;
  }

  clearPrefixCache(): void {
    this.prefixCache.clear();
  }

  async dispose(): Promise<void> {
    this.clearPrefixCache();
    await this.sessions.dispose();
  }
}
