// The normalised model description every graph builder reads, and the HF config.json → ModelConfig
// dispatch by model_type. Family quirks are typed fields here; each family file parses its own keys.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { Value } from '../graph/graph';
import type { LayerBuilder } from './layers';

export interface RopeConfig {
  theta: number;
  /** Multiplies each rotary frequency (llama3 scaling), length headDim / 2. Absent = plain RoPE. */
  scaling?: { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number } | { type: 'linear'; factor: number };
}

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
  readonly rope: RopeConfig;
  readonly tieWordEmbeddings: boolean;
  readonly activation: 'silu' | 'gelu_tanh';
  /** q/k/v projections carry biases (Qwen2, or Llama's attention_bias). */
  readonly attentionBias: boolean;
  /** Gemma2 quirks; all absent for Llama/Qwen2. */
  readonly gemma?: {
    readonly embedScale: number; // inputs × √hidden
    readonly attnSoftcap?: number;
    readonly finalSoftcap?: number;
  };
  /** Per-layer sliding window (tokens a query may look back, itself included), or undefined = full attention. */
  readonly slidingWindow: readonly (number | undefined)[];
  /** Multiplies q before q·kᵀ. */
  readonly queryScale: number;
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
}

export type HfConfig = Record<string, unknown>;

export interface FamilyDef {
  readonly modelTypes: readonly string[];
  parseConfig(hf: HfConfig, file: string): ModelConfig;
  /** One decoder layer, x [B,S,H] → [B,S,H], written top to bottom in the family file. */
  block(b: LayerBuilder, x: Value, layer: number): Value;
}

/** Typed reads of HF config keys, each failing with the file and key name. */
export class ConfigReader {
  constructor(private readonly hf: HfConfig, private readonly file: string) {}
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
  eosIds(): number[] {
    const v = this.hf.eos_token_id;
    if (v === undefined || v === null) return [];
    const arr = Array.isArray(v) ? v : [v];
    return arr.filter((x): x is number => typeof x === 'number');
  }
  fail(msg: string): never {
    throw new UserError(`${this.file}: ${msg}`);
  }
}

/** The dimension keys every family shares, with the family's own default context length. */
export function parseDims(r: ConfigReader, defaultMaxPositions: number) {
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  return {
    vocabSize: r.int('vocab_size'),
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads: r.int('num_key_value_heads', numHeads),
    headDim: r.int('head_dim', hiddenSize / numHeads),
    maxPositions: r.int('max_position_embeddings', defaultMaxPositions),
    rmsNormEps: r.num('rms_norm_eps', 1e-6),
  };
}

/** Checks shared by all families: the head arithmetic the graph relies on. */
export function checkInvariants(c: ModelConfig, file: string): ModelConfig {
  const bad = (m: string): never => {
    throw new UserError(`${file}: ${m}`);
  };
  if (c.numHeads % c.numKvHeads !== 0) bad(`num_attention_heads (${c.numHeads}) must be a multiple of num_key_value_heads (${c.numKvHeads})`);
  if (c.headDim % 2 !== 0) bad(`head_dim (${c.headDim}) must be even for rotary embeddings`);
  if (c.slidingWindow.length !== c.numLayers) bad(`layer types list has ${c.slidingWindow.length} entries for ${c.numLayers} layers`);
  for (const [k, v] of Object.entries({ vocab_size: c.vocabSize, hidden_size: c.hiddenSize, intermediate_size: c.intermediateSize, num_hidden_layers: c.numLayers })) {
    if (!(v > 0)) bad(`${k} must be positive, got ${v}`);
  }
  return c;
}

/** RoPE settings from the standard keys (rope_theta, rope_scaling with "rope_type" or legacy "type"). */
export function parseRope(r: ConfigReader): RopeConfig {
  const theta = r.num('rope_theta', 10000);
  const s = r.raw('rope_scaling');
  if (s === undefined || s === null) return { theta };
  if (typeof s !== 'object') r.fail(`rope_scaling should be an object, got ${JSON.stringify(s)}`);
  const o = s as Record<string, unknown>;
  const type = String(o.rope_type ?? o.type ?? '');
  const n = (k: string, d?: number): number => {
    const v = o[k] ?? d;
    if (typeof v !== 'number') r.fail(`rope_scaling.${k} should be a number, got ${JSON.stringify(o[k])}`);
    return v as number;
  };
  if (type === 'default') return { theta };
  if (type === 'llama3') {
    return { theta, scaling: { type: 'llama3', factor: n('factor'), lowFreqFactor: n('low_freq_factor', 1), highFreqFactor: n('high_freq_factor', 4), originalMaxPositions: n('original_max_position_embeddings', 8192) } };
  }
  if (type === 'linear') return { theta, scaling: { type: 'linear', factor: n('factor') } };
  return r.fail(`rope_scaling type "${type}" is not supported (supported: llama3, linear, default)`);
}

const registry: FamilyDef[] = [];

export function registerFamily(f: FamilyDef): void {
  registry.push(f);
}

export function supportedModelTypes(): string[] {
  return registry.flatMap((f) => [...f.modelTypes]);
}

export function familyOf(modelType: string): FamilyDef {
  const fam = registry.find((f) => f.modelTypes.includes(modelType));
  if (!fam) throw new UserError(`model_type ${JSON.stringify(modelType)} is not supported; supported model types: ${supportedModelTypes().join(', ')}`);
  return fam;
}

export function parseHfConfig(hf: HfConfig, file: string): ModelConfig {
  const type = hf.model_type;
  const fam = registry.find((f) => typeof type === 'string' && f.modelTypes.includes(type));
  if (!fam) {
    throw new UserError(`${file}: model_type ${JSON.stringify(type)} is not supported; supported model types: ${supportedModelTypes().join(', ')}`);
  }
  return checkInvariants(fam.parseConfig(hf, file), file);
}

export function readConfigFile(dir: string): { config: ModelConfig; hf: HfConfig; file: string } {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no config.json (expected a Hugging Face model folder with config.json, model.safetensors and tokenizer.json)`);
  let hf: HfConfig;
  try {
    hf = JSON.parse(fs.readFileSync(file, 'utf8')) as HfConfig;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return { config: parseHfConfig(hf, file), hf, file };
}
