// The one model_type → family table, the families refused for a reason, and config.json → ModelConfig
// through that table. A family is one file holding all of its quirks; adding one is a line here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { HfConfig, ModelConfig, checkInvariants } from '../config';
import type { FamilyDef } from '../family';
import { gemma2 } from './gemma2';
import { gemma3 } from './gemma3';
import { granite } from './granite';
import { llama } from './llama';
import { mistral } from './mistral';
import { phi3 } from './phi3';
import { qwen2 } from './qwen2';
import { qwen3 } from './qwen3';
import { smollm3 } from './smollm3';

/** model_type (as in config.json) → family. */
export const FAMILIES: Readonly<Record<string, FamilyDef>> = {
  llama,
  qwen2,
  qwen3,
  gemma2,
  gemma3_text: gemma3,
  gemma3, // the multimodal checkpoint: its text model only
  phi3, // Phi-3, Phi-3.5, Phi-4-mini
  smollm3,
  granite,
  mistral,
  ministral: mistral,
};

/** Hybrid families whose layers keep a recurrent state our attention-only graphs do not have. */
const HYBRID: readonly { pattern: RegExp; name: string }[] = [
  { pattern: /^qwen3_5/, name: 'qwen3_5*' },
  { pattern: /^qwen3_next$/, name: 'qwen3_next' },
  { pattern: /^gemma3n/, name: 'gemma3n' },
  { pattern: /^gemma4/, name: 'gemma4' },
  { pattern: /^granitemoehybrid$/, name: 'granitemoehybrid' },
  { pattern: /^lfm2/, name: 'lfm2' },
];

export function supportedModelTypes(): string[] {
  return Object.keys(FAMILIES);
}

function supportedLine(): string {
  return `supported model types: ${supportedModelTypes().join(', ')}; refused (hybrid: needs recurrent state; not supported yet): ${HYBRID.map((h) => h.name).join(', ')}`;
}

/** The family of a model_type, or one line naming the supported and the refused families. */
export function familyOf(modelType: unknown, file?: string): FamilyDef {
  const where = file ? `${file}: ` : '';
  const fam = typeof modelType === 'string' && Object.hasOwn(FAMILIES, modelType) ? FAMILIES[modelType] : undefined;
  if (fam) return fam;
  const hybrid = typeof modelType === 'string' ? HYBRID.find((h) => h.pattern.test(modelType)) : undefined;
  if (hybrid) throw new UserError(`${where}model_type ${JSON.stringify(modelType)} is a hybrid family (${hybrid.name}) that needs recurrent state; not supported yet (${supportedLine()})`);
  throw new UserError(`${where}model_type ${JSON.stringify(modelType)} is not supported (${supportedLine()})`);
}

export function parseHfConfig(hf: HfConfig, file: string): ModelConfig {
  return checkInvariants(familyOf(hf.model_type, file).parseConfig(hf, file), file);
}

/** Every tensor a model must provide (name → shape), from its family's table. */
export function expectedWeights(cfg: ModelConfig): Map<string, number[]> {
  return familyOf(cfg.modelType).weights(cfg);
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
  if (typeof hf !== 'object' || hf === null || Array.isArray(hf)) throw new UserError(`${file}: expected a JSON object`);
  return { config: parseHfConfig(hf, file), hf, file };
}
