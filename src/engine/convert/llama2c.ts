// Converts a llama2.c checkpoint + tokenizer into a Hugging Face LlamaForCausalLM folder that the engine
// (and transformers) load like any downloaded model: config.json, generation_config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { writeSafetensorsFile } from '../weights/safetensors';
import { llama2cHfConfig, readLlama2cCheckpoint } from './llama2c-checkpoint';
import { llama2cTokenizerConfig, llama2cTokenizerJson, readLlama2cTokenizer } from './llama2c-tokenizer';

export interface Llama2cConvertOptions {
  checkpoint: string;
  tokenizer: string;
  out: string;
  /** Allow writing into a folder that already has files. */
  force?: boolean;
}

export const CONVERTED_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/** Returns the config written. Everything is read and checked before the first file is written. */
export function convertLlama2c(opts: Llama2cConvertOptions): Record<string, unknown> {
  const model = readLlama2cCheckpoint(opts.checkpoint);
  const vocab = readLlama2cTokenizer(opts.tokenizer, model.header.vocabSize);
  const config = llama2cHfConfig(model);
  const tokenizerJson = llama2cTokenizerJson(vocab);

  if (fs.existsSync(opts.out)) {
    if (!fs.statSync(opts.out).isDirectory()) throw new UserError(`${opts.out}: exists and is not a folder`);
    const existing = fs.readdirSync(opts.out);
    if (existing.length > 0 && !opts.force) {
      throw new UserError(`${opts.out}: folder is not empty (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}); choose an empty folder or pass --force to overwrite`);
    }
  }
  fs.mkdirSync(opts.out, { recursive: true });
  writeSafetensorsFile(path.join(opts.out, 'model.safetensors'), model.tensors, { format: 'pt', source: 'llama2.c legacy export' });
  writeJson(path.join(opts.out, 'config.json'), config);
  // llama2.c's run.c also stops at BOS: TinyStories models emit it between stories instead of EOS.
  writeJson(path.join(opts.out, 'generation_config.json'), { bos_token_id: 1, eos_token_id: [2, 1] });
  writeJson(path.join(opts.out, 'tokenizer.json'), tokenizerJson);
  writeJson(path.join(opts.out, 'tokenizer_config.json'), llama2cTokenizerConfig(model.header.seqLen));
  return config;
}
