// LanguageModel: the engine's one public face. Loads an HF folder (or hub id) once, keeps the weights as
// tensors shared by every session, and offers tokenization, batched greedy generation with a KV cache,
// teacher-forced logits, next-token log-probs and input-embedding gradients. Knows nothing of prompts.
import * as ort from 'onnxruntime-node';
import { UserError } from './errors';
import { resolveModelDir, ResolveOptions } from './hub';
import { FamilyDef, ModelConfig } from './model/config';
import { expectedWeights, familyOf, readConfigFile } from './model/families/index';
import { BuiltGraph, buildForwardGraph, buildGradGraph } from './model/graphs';
import { attentionBias } from './model/masks';
import { FloatArray, RotaryTables } from './model/rope';
import { DeviceChoice, HostTensor, Session, resolveDevice, Device } from './runtime/session';
import { ChatMessage, Tokenizer } from './tokenizer';
import { ResidentWeightsDir } from './runtime/resident-weights';
import { loadWeightsDir } from './weights/safetensors';
import { availableMemory } from './weights/memory';

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
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Default: the tokenizer's and config's EOS ids. */
  stopIds?: readonly number[];
  /** Called after each decoding step with the number of tokens generated so far. */
  onStep?: (step: number) => void;
  /** Sees the logits [B × vocab] from which step `step` (0-based) picks its tokens. */
  onLogits?: (step: number, logits: FloatArray) => void;
  /**
   * Per prompt, tokens teacher-forced after its generation (stop token excluded) through the same KV
   * cache, e.g. an extractor plus the gold answer: scoring costs one extra pass, no re-encoding.
   */
  suffixes?: readonly (readonly number[])[];
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

/** A cached prefix: per layer K and V [kv, n, hd], and the logits after its last token. */
interface PrefixState {
  n: number;
  k: FloatArray[];
  v: FloatArray[];
  lastLogits: FloatArray;
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

type Make = (n: number) => FloatArray;

/** Host-side KV cache: per layer [B,kv,capacity,hd], plus the position held by each column. */
class KvCache {
  readonly k: FloatArray[];
  readonly v: FloatArray[];
  readonly pos: Int32Array;
  used = 0;
  constructor(readonly batch: number, readonly capacity: number, readonly cfg: ModelConfig, make: Make) {
    const n = batch * cfg.numKvHeads * capacity * cfg.headDim;
    this.k = Array.from({ length: cfg.numLayers }, () => make(n));
    this.v = Array.from({ length: cfg.numLayers }, () => make(n));
    this.pos = new Int32Array(batch * capacity).fill(-1);
  }
  /** Row b's prefix K/V into columns [0, n_b); the cache then starts at the longest prefix (gaps masked). */
  setPrefixes(states: readonly PrefixState[]): void {
    const { numKvHeads: kv, headDim: hd } = this.cfg;
    states.forEach((st, b) => {
      for (let l = 0; l < this.cfg.numLayers; l++) {
        for (let h = 0; h < kv; h++) {
          const dst = ((b * kv + h) * this.capacity) * hd;
          this.k[l].set(st.k[l].subarray(h * st.n * hd, (h + 1) * st.n * hd), dst);
          this.v[l].set(st.v[l].subarray(h * st.n * hd, (h + 1) * st.n * hd), dst);
        }
      }
      for (let j = 0; j < st.n; j++) this.pos[b * this.capacity + j] = j;
    });
    this.used = Math.max(0, ...states.map((s) => s.n));
  }

  /** Copies present K/V [B,kv,S,hd] into columns used..used+S. */
  append(present: Record<string, HostTensor>, S: number, positions: Int32Array): void {
    const { numKvHeads: kv, headDim: hd } = this.cfg;
    if (this.used + S > this.capacity) throw new Error(`KV cache overflow: ${this.used} + ${S} > ${this.capacity}`);
    for (let l = 0; l < this.cfg.numLayers; l++) {
      const nk = present[`present_key.${l}`].data as FloatArray;
      const nv = present[`present_value.${l}`].data as FloatArray;
      for (let b = 0; b < this.batch; b++) {
        for (let h = 0; h < kv; h++) {
          const src = (b * kv + h) * S * hd;
          const dst = ((b * kv + h) * this.capacity + this.used) * hd;
          this.k[l].set(nk.subarray(src, src + S * hd), dst);
          this.v[l].set(nv.subarray(src, src + S * hd), dst);
        }
      }
    }
    for (let b = 0; b < this.batch; b++) for (let s = 0; s < S; s++) this.pos[b * this.capacity + this.used + s] = positions[b * S + s];
    this.used += S;
  }
}

export class LanguageModel {
  readonly counters: EngineCounters = { forwardPasses: 0, backwardPasses: 0, generatedTokens: 0 };
  private forwardSession: Promise<{ s: Session; g: BuiltGraph }> | null = null;
  private readonly gradSessions = new Map<string, Promise<{ s: Session; g: BuiltGraph }>>();
  private readonly rotary: RotaryTables;
  private readonly make: Make;
  private readonly weightTensors = new Map<string, ort.Tensor>();
  private residentDir: ResidentWeightsDir | null = null;
  /** Prefix K/V by token ids, least recently used first; bounded in bytes. */
  private readonly prefixCache = new Map<string, PrefixState>();
  private prefixBytes = 0;
  readonly prefixStats = { hits: 0, misses: 0 };

  private constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    private readonly family: FamilyDef,
    private readonly weights: Map<string, FloatArray>,
    private readonly tok: Tokenizer | null,
    readonly device: Device,
    readonly dtype: 'float32' | 'float64',
    readonly deviceNote: string | undefined,
    readonly weightsMode: 'inputs' | 'resident',
  ) {
    this.rotary = new RotaryTables(config);
    this.make = dtype === 'float32' ? (n) => new Float32Array(n) : (n) => new Float64Array(n);
    const shapes = expectedWeights(config);
    for (const [name, data] of weights) this.weightTensors.set(name, new ort.Tensor(dtype, data, shapes.get(name)!));
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
    const weights = LanguageModel.validateWeights(resolved.dir, config, family, dtype);
    const dev = await resolveDevice(opts.device ?? 'cpu');
    // Resident is faster (prepacked kernels on CPU; one upload on a GPU) but keeps a copy per session
    // (forward + gradient); fall back to one shared host copy when two would not fit comfortably.
    const twoCopies = 2 * weights.get('model.embed_tokens.weight')!.BYTES_PER_ELEMENT * [...weights.values()].reduce((n, w) => n + w.length, 0);
    const mode = opts.weights ?? (dev.device !== 'cpu' || twoCopies < 0.5 * availableMemory() ? 'resident' : 'inputs');
    return new LanguageModel(resolved.dir, config, family, weights, tok, dev.device, dtype, dev.note, mode);
  }

  /** Every tensor the config implies must be present with its exact shape; extras are ignored. */
  private static validateWeights(dir: string, config: ModelConfig, family: FamilyDef, dtype: 'float32' | 'float64'): Map<string, FloatArray> {
    const loaded = loadWeightsDir(dir);
    const out = new Map<string, FloatArray>();
    for (const [name, shape] of expectedWeights(config)) {
      // A family may store a tensor under another name (Gemma 3's multimodal checkpoints).
      const t = [name, ...(family.checkpointNames?.(name) ?? [])].map((n) => loaded.get(n)).find((x) => x !== undefined);
      if (!t) throw new UserError(`${dir}: weight "${name}" is missing (expected shape [${shape}] for this config.json)`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new UserError(`${dir}: weight "${name}" has shape [${t.shape}] but config.json implies [${shape}]`);
      }
      out.set(name, dtype === 'float32' ? t.data : Float64Array.from(t.data));
    }
    return out;
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

  // ---- sessions ----------------------------------------------------------------------------------
  private forward(): Promise<{ s: Session; g: BuiltGraph }> {
    if (!this.forwardSession) {
      this.forwardSession = (async () => {
        const resident = this.resident();
        const g = buildForwardGraph(this.config, this.family, this.dtype, resident?.map);
        const model = resident ? resident.writeModel('forward', g.model) : g.model;
        return { s: await Session.create('forward', model, this.device, { precise: this.dtype === 'float64', keepWeightLayout: !!resident }), g };
      })();
    }
    return this.forwardSession;
  }
  private grad(weights: boolean, fromIds: boolean): Promise<{ s: Session; g: BuiltGraph }> {
    const key = `${weights}|${fromIds}`;
    let p = this.gradSessions.get(key);
    if (!p) {
      p = (async () => {
        // Training graphs take the weights as inputs: they change every step.
        const resident = weights ? null : this.resident();
        const g = buildGradGraph(this.config, this.family, this.dtype, { weights, fromIds, resident: resident?.map });
        const model = resident ? resident.writeModel(`gradient-${key.replace('|', '-')}`, g.model) : g.model;
        return { s: await Session.create('gradient', model, this.device, { precise: this.dtype === 'float64', keepWeightLayout: !!resident }), g };
      })();
      this.gradSessions.set(key, p);
    }
    return p;
  }
  private resident(): ResidentWeightsDir | null {
    if (this.weightsMode !== 'resident') return null;
    if (!this.residentDir) {
      this.residentDir = ResidentWeightsDir.write(this.weights);
      // Sessions own the weights now; the host keeps only the embedding table (candidate scoring, embeddings).
      for (const name of [...this.weights.keys()]) {
        if (name === 'model.embed_tokens.weight') continue;
        this.weights.delete(name);
        this.weightTensors.delete(name);
      }
    }
    return this.residentDir;
  }

  private weightFeeds(names: string[]): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    for (const n of names) f[`w.${n}`] = this.weightTensors.get(n)!;
    return f;
  }
  private positionFeeds(B: number, S: number, queryPos: Int32Array, cachePos: Int32Array, P: number, hasSliding: boolean): Record<string, HostTensor> {
    const spec = { batch: B, queryPos, newTokens: S, cachePos, cacheLen: P };
    const feeds: Record<string, HostTensor> = {
      ...this.rotary.feeds(B, S, queryPos, this.dtype, this.make),
      bias_full: { dtype: this.dtype, dims: [B, 1, 1, S, P + S], data: attentionBias(spec, undefined, this.make) },
    };
    if (hasSliding) {
      const w = this.config.slidingWindow.find((x) => x !== undefined);
      feeds.bias_sliding = { dtype: this.dtype, dims: [B, 1, 1, S, P + S], data: attentionBias(spec, w, this.make) };
    }
    return feeds;
  }

  /** One forward pass over new tokens [B,S] on top of `cache` (may be empty); returns logits at `rows`. */
  /** `counted: false` for passes that only fill the prefix cache: a prompt's prefill counts once, cached or not. */
  private async step(ids: BigInt64Array, queryPos: Int32Array, B: number, S: number, cache: KvCache | null, rows: number[], counted = true): Promise<{ logits: FloatArray; present: Record<string, HostTensor> }> {
    const { s, g } = await this.forward();
    const P = cache && cache.used > 0 ? cache.capacity : 0;
    const { numKvHeads: kv, headDim: hd } = this.config;
    const feeds: Record<string, HostTensor | ort.Tensor> = {
      ...this.weightFeeds(g.weightNames),
      input_ids: { dtype: 'int64', dims: [B, S], data: ids },
      logit_rows: { dtype: 'int64', dims: [rows.length], data: BigInt64Array.from(rows, (r) => BigInt(r)) },
      ...this.positionFeeds(B, S, queryPos, P ? cache!.pos : new Int32Array(0), P, g.hasSlidingBias),
    };
    for (let l = 0; l < this.config.numLayers; l++) {
      feeds[`past_key.${l}`] = { dtype: this.dtype, dims: [B, kv, P, hd], data: P ? cache!.k[l] : this.make(0) };
      feeds[`past_value.${l}`] = { dtype: this.dtype, dims: [B, kv, P, hd], data: P ? cache!.v[l] : this.make(0) };
    }
    const out = await s.run(feeds);
    if (counted) this.counters.forwardPasses += B;
    return { logits: out.logits.data as FloatArray, present: out };
  }

  // ---- public inference API ------------------------------------------------------------------------
  /**
   * Greedy continuation of each prompt, batched with left padding and a KV cache. A row stops at its
   * first stop token; the batch stops when every row has stopped or after maxNewTokens.
   */
  async generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]> {
    if (!prompts.length) return [];
    prompts.forEach((p, i) => {
      if (!p.length) throw new UserError(`prompt ${i} is empty: generation needs at least one input token`);
      this.checkIds(p);
    });
    const B = prompts.length;
    const longest = Math.max(...prompts.map((p) => p.length));
    const maxNew = Math.max(0, Math.floor(opts.maxNewTokens));
    const stop = new Set(opts.stopIds ?? this.stopIds);
    const results: Generation[] = prompts.map(() => ({ ids: [], finish: 'length' }));
    if (maxNew === 0 && !opts.suffixes && !opts.promptScores) return results;
    if (longest + maxNew > this.config.maxPositions) {
      throw new UserError(`prompt of ${longest} tokens + ${maxNew} new tokens exceeds the model's context window of ${this.config.maxPositions} tokens`);
    }
    const suffixes = opts.suffixes;
    if (suffixes && suffixes.length !== B) throw new Error(`generate: ${suffixes.length} suffixes for ${B} prompts`);
    const maxSuffix = suffixes ? Math.max(0, ...suffixes.map((x) => x.length)) : 0;
    if (suffixes) suffixes.forEach((x) => this.checkIds(x));
    const V = this.config.vocabSize;
    // Reusable prefixes (e.g. template + question) come from the prefix cache into the first cache
    // columns; only the rest of each prompt is prefilled. Masks are by position, so rows may differ.
    const pre = opts.prefixLengths ? await this.prefixStates(prompts, opts.prefixLengths) : null;
    const P0 = pre ? Math.max(0, ...pre.map((p) => p.n)) : 0;
    const rest = prompts.map((p, b) => p.slice(pre ? pre[b].n : 0));
    const L = Math.max(...rest.map((r) => r.length));
    // Prefill: left-padded [B,L]; pad columns get position −1.
    const ids = new BigInt64Array(B * L);
    const pos = new Int32Array(B * L).fill(-1);
    rest.forEach((r, b) => {
      const off = L - r.length;
      const start = pre ? pre[b].n : 0;
      r.forEach((t, j) => {
        ids[b * L + off + j] = BigInt(t);
        pos[b * L + off + j] = start + j;
      });
    });
    const cache = new KvCache(B, P0 + L + maxNew + maxSuffix + 1, this.config, this.make);
    if (pre && P0 > 0) cache.setPrefixes(pre);
    // Prefill rows: each prompt's last token first (decoding starts from those), then any prompt scores;
    // a score right at the end of a cached prefix reads the logits stored with it.
    const scoreRows: number[] = [];
    const scoreSrc: (number | FloatArray)[][] = [];
    opts.promptScores?.forEach((list, b) => {
      const n = pre ? pre[b].n : 0;
      scoreSrc.push(list.map(({ position, id }) => {
        if (position < 0 || position >= prompts[b].length) throw new UserError(`prompt score position ${position} is outside prompt ${b} (length ${prompts[b].length})`);
        this.checkIds([id]);
        if (position === n - 1) return pre![b].lastLogits;
        if (position < n) throw new Error(`generate: prompt score at ${position} lies inside the cached prefix of prompt ${b} (length ${n})`);
        scoreRows.push(b * L + L - rest[b].length + (position - n));
        return B + scoreRows.length - 1;
      }));
    });
    let res = await this.step(ids, pos, B, L, P0 > 0 ? cache : null, [...rest.map((_, b) => b * L + L - 1), ...scoreRows]);
    cache.append(res.present, L, pos);
    opts.promptScores?.forEach((list, b) => {
      results[b].promptLogProbs = list.map(({ id }, k) => {
        const src = scoreSrc[b][k];
        const [arr, o] = typeof src === 'number' ? [res.logits, src * V] : [src, 0];
        return arr[o + id] - logSumExp(arr, o, V);
      });
    });
    const done = new Array<boolean>(B).fill(false);
    const nextPos = prompts.map((p) => p.length);
    const fed = new Array<number>(B).fill(0); // generated tokens already in the cache, per row
    // Logits that follow each row's last cached token (needed to score the first suffix token).
    const lastLogits: FloatArray[] = [];
    const keepLast = () => { if (suffixes) for (let b = 0; b < B; b++) if (!done[b]) lastLogits[b] = res.logits.slice(b * V, (b + 1) * V); };
    for (let t = 0; t < maxNew; t++) {
      opts.onLogits?.(t, res.logits);
      keepLast();
      const tokIds = new BigInt64Array(B);
      const tokPos = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const next = argmax(res.logits, b * V, V);
        if (!done[b]) {
          if (stop.has(next)) {
            done[b] = true;
            results[b].finish = 'stop';
          } else {
            results[b].ids.push(next);
            this.counters.generatedTokens++;
          }
        }
        tokIds[b] = BigInt(next);
        tokPos[b] = done[b] ? -1 : nextPos[b]++;
      }
      opts.onStep?.(t + 1);
      if (done.every(Boolean) || t === maxNew - 1) break;
      res = await this.step(tokIds, tokPos, B, 1, cache, prompts.map((_, b) => b));
      cache.append(res.present, 1, tokPos);
      for (let b = 0; b < B; b++) if (tokPos[b] >= 0) fed[b]++;
    }
    if (maxNew === 0) keepLast();
    if (suffixes && maxSuffix > 0) await this.scoreSuffixes(cache, results, suffixes, fed, nextPos, lastLogits);
    return results;
  }

  /** Prefix states for each prompt (n = 0 where none), computing the missing ones in one batched pass. */
  private async prefixStates(prompts: readonly (readonly number[])[], lengths: readonly number[]): Promise<PrefixState[]> {
    if (lengths.length !== prompts.length) throw new Error(`generate: ${lengths.length} prefix lengths for ${prompts.length} prompts`);
    const none: PrefixState = { n: 0, k: [], v: [], lastLogits: this.make(0) };
    // At least one token stays outside the prefix: decoding starts from the prompt's last row.
    const keys = prompts.map((p, b) => {
      const n = Math.max(0, Math.min(Math.floor(lengths[b]), p.length - 1));
      return n > 0 ? p.slice(0, n).join(',') : '';
    });
    const missing = [...new Set(keys.filter((k) => k && !this.prefixCache.has(k)))];
    if (missing.length) {
      const seqs = missing.map((k) => k.split(',').map(Number));
      const Lm = Math.max(...seqs.map((q) => q.length));
      const ids = new BigInt64Array(missing.length * Lm);
      const pos = new Int32Array(missing.length * Lm).fill(-1);
      seqs.forEach((q, m) => q.forEach((t, j) => { ids[m * Lm + j] = BigInt(t); pos[m * Lm + j] = j; }));
      const { logits, present } = await this.step(ids, pos, missing.length, Lm, null, seqs.map((q, m) => m * Lm + q.length - 1), false);
      const { numKvHeads: kv, headDim: hd, vocabSize: V } = this.config;
      seqs.forEach((q, m) => {
        const n = q.length;
        const take = (t: FloatArray) => {
          const out = this.make(kv * n * hd);
          for (let h = 0; h < kv; h++) out.set(t.subarray(((m * kv + h) * Lm) * hd, ((m * kv + h) * Lm + n) * hd), h * n * hd);
          return out;
        };
        const st: PrefixState = {
          n,
          k: Array.from({ length: this.config.numLayers }, (_, l) => take(present[`present_key.${l}`].data as FloatArray)),
          v: Array.from({ length: this.config.numLayers }, (_, l) => take(present[`present_value.${l}`].data as FloatArray)),
          lastLogits: logits.slice(m * V, (m + 1) * V),
        };
        this.prefixCache.set(missing[m], st);
        this.prefixBytes += (2 * this.config.numLayers * kv * n * hd + V) * st.lastLogits.BYTES_PER_ELEMENT;
      });
      this.prefixStats.misses += missing.length;
      // Evict least recently used prefixes beyond the budget (never the ones this call needs).
      const budget = Math.min(2 ** 30, availableMemory() / 8);
      for (const [k, st] of this.prefixCache) {
        if (this.prefixBytes <= budget) break;
        if (keys.includes(k)) continue;
        this.prefixCache.delete(k);
        this.prefixBytes -= (2 * this.config.numLayers * kv * st.n * hd + V) * st.lastLogits.BYTES_PER_ELEMENT;
      }
    }
    return keys.map((k) => {
      if (!k) return none;
      const st = this.prefixCache.get(k)!;
      if (!missing.includes(k)) {
        this.prefixStats.hits++;
        this.prefixCache.delete(k); // refresh its recency
        this.prefixCache.set(k, st);
      }
      return st;
    });
  }

  /** Feeds [unfed generated token?] + suffix per row through the cache; scores each suffix token. */
  private async scoreSuffixes(cache: KvCache, results: Generation[], suffixes: readonly (readonly number[])[], fed: number[], nextPos: number[], lastLogits: FloatArray[]): Promise<void> {
    const B = results.length;
    const V = this.config.vocabSize;
    const feeds = results.map((r, b) => [...r.ids.slice(fed[b]), ...suffixes[b]]);
    const pending = results.map((r, b) => r.ids.length - fed[b]); // 0, or 1 when the length limit stopped the row
    const S = Math.max(...feeds.map((f) => f.length));
    const ids = new BigInt64Array(B * S);
    const pos = new Int32Array(B * S).fill(-1);
    const rows: number[] = [];
    feeds.forEach((f, b) => {
      const start = nextPos[b] - pending[b];
      f.forEach((t, j) => { ids[b * S + j] = BigInt(t); pos[b * S + j] = start + j; });
      for (let j = 0; j + 1 < f.length; j++) rows.push(b * S + j);
    });
    const { logits } = await this.step(ids, pos, B, S, cache, rows.length ? rows : [0]);
    let r = 0;
    feeds.forEach((f, b) => {
      const rowOf = (j: number) => (r + j) * V; // logits row predicting feed token j+1
      const score: SuffixScore = { argmax: [], logProbs: [] };
      suffixes[b].forEach((tok, j) => {
        const k = pending[b] + j; // index of this suffix token within the feed
        const src = k === 0 ? lastLogits[b] : logits.subarray(rowOf(k - 1), rowOf(k - 1) + V);
        score.argmax.push(argmax(src, 0, V));
        score.logProbs.push(src[tok] - logSumExp(src, 0, V));
      });
      results[b].suffix = score;
      r += Math.max(0, f.length - 1);
    });
  }
  /**
   * Teacher-forced logits for each sequence (right-padded into one batch): row i of a sequence's
   * result predicts its token i+1. Returns [len × vocab] per sequence.
   */
  async logits(seqs: readonly (readonly number[])[]): Promise<FloatArray[]> {
    return this.logitsAt(seqs, seqs.map((s) => [...s.keys()]));
  }

  /** Logits at chosen positions of each sequence: [positions.length × vocab] per sequence. */
  async logitsAt(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[]): Promise<FloatArray[]> {
    if (!seqs.length) return [];
    seqs.forEach((s) => this.checkIds(s));
    const B = seqs.length;
    const S = Math.max(...seqs.map((s) => s.length));
    if (S > this.config.maxPositions) throw new UserError(`a sequence of ${S} tokens exceeds the model's context window of ${this.config.maxPositions} tokens`);
    const ids = new BigInt64Array(B * S);
    const pos = new Int32Array(B * S).fill(-1);
    seqs.forEach((s, b) => s.forEach((t, j) => { ids[b * S + j] = BigInt(t); pos[b * S + j] = j; }));
    const rows: number[] = [];
    positions.forEach((ps, b) => ps.forEach((p) => {
      if (p < 0 || p >= seqs[b].length) throw new UserError(`position ${p} is outside sequence ${b} of length ${seqs[b].length}`);
      rows.push(b * S + p);
    }));
    const { logits } = await this.step(ids, pos, B, S, null, rows);
    const V = this.config.vocabSize;
    const out: FloatArray[] = [];
    let r = 0;
    for (const ps of positions) {
      out.push(logits.slice(r * V, (r + ps.length) * V));
      r += ps.length;
    }
    return out;
  }

  /** log-softmax of the logits at the given positions, [positions.length × vocab] per sequence. */
  async nextTokenLogProbs(seqs: readonly (readonly number[])[], positions: readonly (readonly number[])[]): Promise<FloatArray[]> {
    const rows = await this.logitsAt(seqs, positions);
    const V = this.config.vocabSize;
    for (const r of rows) for (let o = 0; o < r.length; o += V) logSoftmaxInPlace(r, o, V);
    return rows;
  }

  /**
   * Loss = Σ_targets w·CE(logits[position] / temperature, id) per item, and its gradient with respect to
   * the input embedding rows x_p (before any model-specific scaling) at the requested positions.
   * Items are batched with right padding; items do not interact, so each gets its own gradient.
   */
  async inputGradient(items: readonly GradItem[]): Promise<GradResult[]> {
    if (!items.length) return [];
    const { s, g } = await this.grad(false, false);
    const H = this.config.hiddenSize;
    const batch = this.packTargets(items);
    const { B, S } = batch;
    const table = this.embeddingTable;
    const embeds = this.make(B * S * H);
    const gRows: bigint[] = [];
    items.forEach((it, b) => {
      it.ids.forEach((id, j) => embeds.set(it.embeddingOverrides?.get(j) ?? table.subarray(id * H, (id + 1) * H), (b * S + j) * H));
      for (const p of it.gradPositions ?? [...it.ids.keys()]) {
        if (p < 0 || p >= it.ids.length) throw new UserError(`gradient position ${p} is outside the sequence (length ${it.ids.length})`);
        gRows.push(BigInt(b * S + p));
      }
    });
    const out = await s.run({
      ...this.weightFeeds(g.weightNames),
      ...batch.feeds(g.hasSlidingBias),
      inputs_embeds: { dtype: this.dtype, dims: [B, S, H], data: embeds },
      grad_rows: { dtype: 'int64', dims: [gRows.length], data: BigInt64Array.from(gRows) },
    }, ['nll', 'grad_embeds']);
    this.counters.forwardPasses += B;
    this.counters.backwardPasses += B;
    const grad = out.grad_embeds.data as FloatArray;
    let gi = 0;
    return batch.perItem(out.nll.data as FloatArray).map(({ loss, nll }, b) => {
      const grads: FloatArray[] = [];
      for (let k = 0; k < (items[b].gradPositions ?? items[b].ids).length; k++, gi++) grads.push(grad.slice(gi * H, (gi + 1) * H));
      return { loss, nll, grad: grads };
    });
  }

  /**
   * Training: the summed loss of all items (each as in inputGradient) and its gradient with respect to every
   * weight, keyed by HF tensor name (tied embeddings receive both the input and the head contributions).
   */
  async weightGradient(items: readonly Pick<GradItem, 'ids' | 'targets'>[]): Promise<{ loss: number; perItem: number[]; grads: Map<string, FloatArray> }> {
    if (this.weightsMode === 'resident') throw new Error('weightGradient: load the model with weights: "inputs" to train it');
    const { s, g } = await this.grad(true, true);
    const batch = this.packTargets(items);
    const ids = new BigInt64Array(batch.B * batch.S);
    items.forEach((it, b) => it.ids.forEach((id, j) => (ids[b * batch.S + j] = BigInt(id))));
    const out = await s.run({
      ...this.weightFeeds(g.weightNames),
      ...batch.feeds(g.hasSlidingBias),
      input_ids: { dtype: 'int64', dims: [batch.B, batch.S], data: ids },
    });
    this.counters.forwardPasses += batch.B;
    this.counters.backwardPasses += batch.B;
    const perItem = batch.perItem(out.nll.data as FloatArray).map((r) => r.loss);
    const grads = new Map<string, FloatArray>();
    for (const n of g.weightNames) grads.set(n, out[`grad.w.${n}`].data as FloatArray);
    return { loss: perItem.reduce((a, b) => a + b, 0), perItem, grads };
  }

  /** Replaces weights in place (training updates); shapes must not change. */
  setWeights(updates: ReadonlyMap<string, FloatArray>): void {
    if (this.weightsMode === 'resident') throw new Error('setWeights: load the model with weights: "inputs" to change its weights');
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

  /** Right-pads items into one batch and packs their targets; shared by both gradient graphs. */
  private packTargets(items: readonly Pick<GradItem, 'ids' | 'targets'>[]) {
    const B = items.length;
    const S = Math.max(...items.map((it) => it.ids.length));
    if (S > this.config.maxPositions) throw new UserError(`a sequence of ${S} tokens exceeds the model's context window of ${this.config.maxPositions} tokens`);
    const pos = new Int32Array(B * S).fill(-1);
    const tRows: bigint[] = [], tIds: bigint[] = [], tScale: number[] = [], tWeight: number[] = [];
    items.forEach((it, b) => {
      this.checkIds(it.ids);
      if (!it.targets.length) throw new UserError(`gradient item ${b} has no targets`);
      it.ids.forEach((_, j) => (pos[b * S + j] = j));
      for (const t of it.targets) {
        if (t.position < 0 || t.position >= it.ids.length) throw new UserError(`target position ${t.position} is outside the sequence (length ${it.ids.length})`);
        this.checkIds([t.id]);
        tRows.push(BigInt(b * S + t.position));
        tIds.push(BigInt(t.id));
        tScale.push(1 / (t.temperature ?? 1));
        tWeight.push(t.weight ?? 1 / it.targets.length);
      }
    });
    const N = tRows.length;
    return {
      B, S,
      feeds: (hasSliding: boolean): Record<string, HostTensor> => ({
        ...this.positionFeeds(B, S, pos, new Int32Array(0), 0, hasSliding),
        target_rows: { dtype: 'int64', dims: [N], data: BigInt64Array.from(tRows) },
        target_ids: { dtype: 'int64', dims: [N, 1], data: BigInt64Array.from(tIds) },
        target_scale: { dtype: this.dtype, dims: [N, 1], data: this.fromNumbers(tScale) },
        target_weight: { dtype: this.dtype, dims: [N], data: this.fromNumbers(tWeight) },
      }),
      /** Splits the flat per-target NLL back into items: each item's weighted loss and its NLLs. */
      perItem: (nll: FloatArray): { loss: number; nll: number[] }[] => {
        let ti = 0;
        return items.map((it) => {
          const itemNll: number[] = [];
          let loss = 0;
          for (const t of it.targets) {
            itemNll.push(nll[ti]);
            loss += (t.weight ?? 1 / it.targets.length) * nll[ti];
            ti++;
          }
          return { loss, nll: itemNll };
        });
      },
    };
  }

  private fromNumbers(xs: number[]): FloatArray {
    const a = this.make(xs.length);
    a.set(xs);
    return a;
  }

  clearPrefixCache(): void {
    this.prefixCache.clear();
    this.prefixBytes = 0;
  }

  async dispose(): Promise<void> {
    this.clearPrefixCache();
    const all = [this.forwardSession, ...this.gradSessions.values()].filter((p): p is Promise<{ s: Session; g: BuiltGraph }> => p !== null);
    for (const p of all) await (await p).s.release();
    this.forwardSession = null;
    this.gradSessions.clear();
    this.residentDir?.remove();
    this.residentDir = null;
  }
}

export function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = offset;
  for (let i = offset + 1; i < offset + n; i++) if (a[i] > a[best]) best = i;
  return best - offset;
}

function logSumExp(a: ArrayLike<number>, o: number, n: number): number {
  let m = -Infinity;
  for (let i = o; i < o + n; i++) if (a[i] > m) m = a[i];
  let s = 0;
  for (let i = o; i < o + n; i++) s += Math.exp(a[i] - m);
  return m + Math.log(s);
}

function logSoftmaxInPlace(a: FloatArray, o: number, n: number): void {
  const lse = logSumExp(a, o, n);
  for (let i = o; i < o + n; i++) a[i] -= lse;
}
