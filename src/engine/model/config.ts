// The normalised model description every graph builder reads and the typed readers of HF config.json keys
// shared by the family files; the family interface is in family.ts. Which family a model_type belongs to is
// decided in one table, families/index.ts; each family file parses its own keys and owns its quirks.
import { UserError } from '../errors';

/** Frequency scaling applied to θ_i once (llama3, linear) or chosen per call by the longest position (longrope). */
export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number }
  /**
   * Phi-3's LongRoPE ("su"): θ_i / shortFactor[i] while every position of the call is below
   * originalMaxPositions, θ_i / longFactor[i] beyond; cos and sin are multiplied by attentionFactor always.
   */
  | { type: 'longrope'; shortFactor: readonly number[]; longFactor: readonly number[]; originalMaxPositions: number; attentionFactor: number };

export interface RopeConfig {
  theta: number;
  scaling?: RopeScaling;
}

/** Which rotary table a layer reads: the global one, Gemma 3's local one (sliding layers), or none (NoPE). */
export type RopeKind = 'global' | 'local';

export interface ModelConfig {
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly maxPositions: number;
  readonly rmsNormEps: number;
  /** RoPE of the global table (the only table for most families). */
  readonly rope: RopeConfig;
  /** RoPE of Gemma 3's sliding layers (rope_local_base_freq); absent elsewhere. */
  readonly localRope?: RopeConfig;
  /** Leading dims of each head that rotate (head_dim × partial_rotary_factor); the rest pass through. */
  readonly rotaryDim: number;
  /** Per layer: the rotary table it uses, or null for a NoPE layer (SmolLM3). */
  readonly layerRope: readonly (RopeKind | null)[];
  readonly tieWordEmbeddings: boolean;
  readonly activation: 'silu' | 'gelu_tanh';
  /** q/k/v projections carry biases (Qwen2, or attention_bias). */
  readonly attentionBias: boolean;
  /** o_proj carries a bias (attention_bias in Llama, Qwen3, Gemma 3, Granite, SmolLM3; never in Qwen2). */
  readonly attentionOutputBias: boolean;
  /** Per-layer sliding window (tokens a query may look back, itself included), or undefined = full attention. */
  readonly slidingWindow: readonly (number | undefined)[];
  /** Multiplies q before q·kᵀ (head_dim^-½, query_pre_attn_scalar^-½, or Granite's attention_multiplier). */
  readonly queryScale: number;
  /** tanh soft-caps of attention scores and final logits (Gemma 2; Gemma 3 when set). Read by the Gemma family files. */
  readonly softcap?: { readonly attention?: number; readonly final?: number };
  /** Granite's multipliers; read only by granite.ts. */
  readonly multipliers?: { readonly embedding: number; readonly residual: number; readonly logitsScaling: number };
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
}

export type HfConfig = Record<string, unknown>;

/** Typed reads of HF config keys, each failing with the file and key name. */
export class ConfigReader {
  constructor(readonly hf: HfConfig, readonly file: string) {}
  has(key: string): boolean {
    return this.hf[key] !== undefined && this.hf[key] !== null;
  }
  num(key: string, dflt?: number): number {
    const v = this.hf[key];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      throw new UserError(`${this.file}: missing key "${key}" (a number)`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${this.file}: key "${key}" should be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  int(key: string, dflt?: number): number {
    const v = this.num(key, dflt);
    if (!Number.isInteger(v) || v < 0) throw new UserError(`${this.file}: key "${key}" should be a non-negative integer, got ${v}`);
    return v;
  }
  /** A number, or undefined when the key is absent or null (soft-caps, optional windows). */
  optNum(key: string): number | undefined {
    return this.has(key) ? this.num(key) : undefined;
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.hf[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new UserError(`${this.file}: key "${key}" should be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  str(key: string, dflt?: string): string {
    const v = this.hf[key];
    if (v === undefined || v === null) {
      if (dflt !== undefined) return dflt;
      throw new UserError(`${this.file}: missing key "${key}" (a string)`);
    }
    if (typeof v !== 'string') throw new UserError(`${this.file}: key "${key}" should be a string, got ${JSON.stringify(v)}`);
    return v;
  }
  raw(key: string): unknown {
    return this.hf[key];
  }
  /** A list of integers (e.g. no_rope_layers), or undefined when absent. */
  intList(key: string): number[] | undefined {
    const v = this.hf[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) this.fail(`key "${key}" should be a list of integers, got ${JSON.stringify(v).slice(0, 80)}`);
    return v as number[];
  }
  eosIds(): number[] {
    const v = this.hf.eos_token_id;
    if (v === undefined || v === null) return [];
    const arr = Array.isArray(v) ? v : [v];
    return arr.filter((x): x is number => typeof x === 'number');
  }
  bosId(): number | undefined {
    return typeof this.hf.bos_token_id === 'number' ? this.hf.bos_token_id : undefined;
  }
  fail(msg: string): never {
    throw new UserError(`${this.file}: ${msg}`);
  }
}

/** The dimension keys every family shares; `defaults` stands in for keys a family's HF config class defaults. */
export function parseDims(r: ConfigReader, defaults: { maxPositions: number; headDim?: number; numKvHeads?: number; rmsNormEps?: number }) {
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  return {
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads: r.int('num_key_value_heads', defaults.numKvHeads ?? numHeads),
    headDim: r.int('head_dim', defaults.headDim ?? hiddenSize / numHeads),
    maxPositions: r.int('max_position_embeddings', defaults.maxPositions),
    rmsNormEps: r.num('rms_norm_eps', defaults.rmsNormEps ?? 1e-6),
  };
}

/** Per-layer attention kinds from config.layer_types, or `fallback` when the key is absent. */
export function parseLayerTypes(r: ConfigReader, numLayers: number, fallback: (i: number) => 'sliding_attention' | 'full_attention'): ('sliding_attention' | 'full_attention')[] {
  const types = r.raw('layer_types');
  if (types === undefined || types === null) return Array.from({ length: numLayers }, (_, i) => fallback(i));
  if (!Array.isArray(types)) r.fail(`key "layer_types" should be a list, got ${JSON.stringify(types)}`);
  if (types.length < numLayers) r.fail(`layer_types has ${types.length} entries for ${numLayers} layers`);
  return types.slice(0, numLayers).map((t, i) => {
    if (t === 'sliding_attention' || t === 'full_attention') return t;
    return r.fail(`layer_types[${i}] is ${JSON.stringify(t)}; expected "sliding_attention" or "full_attention"`);
  });
}

/** Checks shared by all families: the head arithmetic the graph relies on. */
export function checkInvariants(c: ModelConfig, file: string): ModelConfig {
  const bad = (m: string): never => {
    throw new UserError(`${file}: ${m}`);
  };
  if (c.numKvHeads === 0 || c.numHeads % c.numKvHeads !== 0) bad(`num_attention_heads (${c.numHeads}) must be a multiple of num_key_value_heads (${c.numKvHeads})`);
  if (!Number.isInteger(c.headDim)) bad(`head_dim must be an integer; hidden_size / num_attention_heads = ${c.headDim} (set "head_dim")`);
  if (c.rotaryDim % 2 !== 0 || c.rotaryDim > c.headDim || c.rotaryDim <= 0) bad(`rotary dims (${c.rotaryDim}, head_dim × partial_rotary_factor) must be even and within head_dim (${c.headDim})`);
  if (c.slidingWindow.length !== c.numLayers) bad(`layer types list has ${c.slidingWindow.length} entries for ${c.numLayers} layers`);
  if (c.layerRope.length !== c.numLayers) bad(`rotary layer list has ${c.layerRope.length} entries for ${c.numLayers} layers`);
  if (c.layerRope.includes('local') && !c.localRope) bad('a layer uses the local rotary table but the config defines none');
  // One window size across sliding layers: every released config has one, and the engine feeds one sliding mask.
  const windows = new Set(c.slidingWindow.filter((w) => w !== undefined));
  if (windows.size > 1) bad(`sliding layers use different windows (${[...windows].join(', ')}); expected one sliding_window`);
  for (const w of windows) if (!(w! > 0)) bad(`sliding_window must be positive, got ${w}`);
  const s = c.rope.scaling;
  if (s?.type === 'longrope' && (s.shortFactor.length !== c.rotaryDim / 2 || s.longFactor.length !== c.rotaryDim / 2)) {
    bad(`rope_scaling short_factor / long_factor have ${s.shortFactor.length} / ${s.longFactor.length} entries; expected rotary dims / 2 = ${c.rotaryDim / 2}`);
  }
  for (const [k, v] of Object.entries({ vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numLayers })) {
    if (!(v > 0)) bad(`${k} must be positive, got ${v}`);
  }
  return c;
}

type Json = Record<string, unknown>;
const LAYER_TYPE_KEYS = ['full_attention', 'sliding_attention'];

/**
 * The RoPE dictionary of one layer type, in either form real checkpoints use: transformers ≥ 5 writes
 * `rope_parameters` (rope_type, rope_theta, partial_rotary_factor, scaling keys; nested by layer type for
 * Gemma 3), older files `rope_theta` + `rope_scaling` (with "rope_type" or the legacy "type").
 */
function ropeDict(r: ConfigReader, layerType: 'full_attention' | 'sliding_attention'): Json {
  const obj = (key: string, v: unknown): Json => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) r.fail(`${key} should be an object, got ${JSON.stringify(v)}`);
    return v as Json;
  };
  const params = r.raw('rope_parameters');
  if (params !== undefined && params !== null) {
    const p = obj('rope_parameters', params);
    const keys = Object.keys(p);
    if (keys.length > 0 && keys.every((k) => LAYER_TYPE_KEYS.includes(k))) {
      const sub = p[layerType];
      return sub === undefined || sub === null ? {} : obj(`rope_parameters.${layerType}`, sub);
    }
    return p;
  }
  const scaling = r.raw('rope_scaling');
  return scaling === undefined || scaling === null ? {} : { ...obj('rope_scaling', scaling) };
}

/** partial_rotary_factor from rope_parameters (transformers ≥ 5) or the top level; 1 when absent. */
export function partialRotaryFactor(r: ConfigReader): number {
  const d = ropeDict(r, 'full_attention');
  const v = d.partial_rotary_factor ?? r.raw('partial_rotary_factor');
  if (v === undefined || v === null) return 1;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) r.fail(`partial_rotary_factor should be a number in (0, 1], got ${JSON.stringify(v)}`);
  return v;
}

/**
 * RoPE settings for one layer type. `theta` stands in when neither rope_parameters.rope_theta nor rope_theta
 * is given (the family's HF default); `legacyTheta` names another top-level key that holds it (Gemma 3's
 * rope_local_base_freq for sliding layers, where rope_scaling does not apply).
 */
export function parseRope(r: ConfigReader, opts: { theta: number; maxPositions: number; layerType?: 'full_attention' | 'sliding_attention'; legacyTheta?: string }): RopeConfig {
  const layerType = opts.layerType ?? 'full_attention';
  const nested = r.has('rope_parameters');
  let d = ropeDict(r, layerType);
  if (!nested && opts.legacyTheta) d = {}; // legacy files: rope_scaling belongs to the global layers only
  const label = nested ? 'rope_parameters' : 'rope_scaling';
  const num = (k: string, dflt?: number): number => {
    const v = d[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) r.fail(`${label}.${k} should be a number, got ${JSON.stringify(d[k])}`);
    return v as number;
  };
  const list = (k: string): number[] => {
    const v = d[k];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && x > 0)) r.fail(`${label}.${k} should be a list of positive numbers, got ${JSON.stringify(v)?.slice(0, 60)}`);
    return v as number[];
  };
  const theta = typeof d.rope_theta === 'number' ? d.rope_theta : r.num(opts.legacyTheta ?? 'rope_theta', opts.theta);
  const type = String(d.rope_type ?? d.type ?? 'default');
  if (type === 'default') return { theta };
  if (type === 'linear') return { theta, scaling: { type: 'linear', factor: num('factor') } };
  if (type === 'llama3') {
    return { theta, scaling: { type: 'llama3', factor: num('factor'), lowFreqFactor: num('low_freq_factor', 1), highFreqFactor: num('high_freq_factor', 4), originalMaxPositions: num('original_max_position_embeddings', 8192) } };
  }
  if (type === 'longrope' || type === 'su') {
    // Phi-3 keeps original_max_position_embeddings at the top level; transformers ≥ 5 moves it inside.
    const originalMaxPositions = num('original_max_position_embeddings', r.int('original_max_position_embeddings', opts.maxPositions));
    const factor = typeof d.factor === 'number' ? d.factor : opts.maxPositions / originalMaxPositions;
    const attentionFactor = typeof d.attention_factor === 'number' ? d.attention_factor : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(originalMaxPositions));
    return { theta, scaling: { type: 'longrope', shortFactor: list('short_factor'), longFactor: list('long_factor'), originalMaxPositions, attentionFactor } };
  }
  return r.fail(`${label} type "${type}" is not supported (supported: default, linear, llama3, longrope/su)`);
}
