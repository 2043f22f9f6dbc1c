// Tokenizer and chat template of a local Hugging Face model folder, over @huggingface/transformers 4.3.
// We read the JSON files ourselves and construct the library's tokenizer class from them (the same
// class choice AutoTokenizer makes), so loading never touches the network or the library's file cache.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { ChatTemplateSandbox } from './chat-template';
import { UserError } from './errors';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

type Json = Record<string, unknown>;

// File names that Hugging Face writes beside a tokenizer; one table so errors and loading agree.
const FILES = {
  tokenizer: 'tokenizer.json',
  config: 'tokenizer_config.json',
  specialMap: 'special_tokens_map.json',
  generation: 'generation_config.json',
  modelConfig: 'config.json',
  // transformers >= 4.43 saves the chat template in its own file instead of tokenizer_config.json.
  templateJinja: 'chat_template.jinja',
  templateJson: 'chat_template.json',
} as const;

export class Tokenizer {
  readonly hasChatTemplate: boolean;
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly padId: number | undefined;
  readonly eosIds: number[];
  readonly specialIds: ReadonlySet<number>;
  /** Variables every chat template sees besides the conversation (transformers passes the same ones). */
  private readonly templateVars: Record<string, string>;
  private sandbox: ChatTemplateSandbox | null = null;

  private constructor(
    private readonly dir: string,
    private readonly tok: PreTrainedTokenizer,
    config: Json,
    generationEos: number[],
  ) {
    const inner = tok._tokenizer;
    const idOf = (key: string): number | undefined => {
      const text = tokenString(config[key]);
      return text === undefined ? undefined : inner.token_to_id(text);
    };
    this.bosId = idOf('bos_token');
    // transformers.js falls back to eos for a missing pad token; we report only a declared one, so
    // callers can tell "no pad token" apart and choose their own padding.
    this.padId = idOf('pad_token');
    const eos = idOf('eos_token');
    this.eosIds = [...new Set([...(eos === undefined ? [] : [eos]), ...generationEos])];

    const added = inner.get_added_tokens_decoder();
    const special = new Set<number>(added.keys());
    for (const id of [this.bosId, this.padId, idOf('unk_token'), ...this.eosIds]) if (id !== undefined) special.add(id);
    this.specialIds = special;

    // Largest id + 1 rather than a count, so an embedding table of this size holds every id even if
    // the vocabulary has holes.
    let maxId = -1;
    for (const id of inner.get_vocab(true).values()) maxId = Math.max(maxId, id);
    for (const id of added.keys()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;

    this.hasChatTemplate = Boolean(tok.chat_template);
    this.templateVars = {};
    for (const key of TEMPLATE_TOKEN_VARS) {
      const text = tokenString(config[key]);
      if (text) this.templateVars[key] = text;
    }
  }

  /** Loads tokenizer.json + tokenizer_config.json (+ generation_config.json for eos ids) from `dir`. */
  static async load(dir: string): Promise<Tokenizer> {
    const abs = path.resolve(dir);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
      throw new UserError(`tokenizer folder '${dir}' does not exist; expected a folder holding ${FILES.tokenizer} and ${FILES.config}`);
    }
    const tokenizerJson = readJson(abs, FILES.tokenizer);
    if (!tokenizerJson) {
      throw new UserError(
        `no ${FILES.tokenizer} in '${dir}'; expected ${FILES.tokenizer} and ${FILES.config} as saved by Hugging Face ` +
          `transformers (a "fast" tokenizer; a folder with only tokenizer.model/vocab.json is not supported)`,
      );
    }
    // Older repos keep the special tokens only in special_tokens_map.json; tokenizer_config.json wins.
    const config: Json = { ...(readJson(abs, FILES.specialMap) ?? {}), ...(readJson(abs, FILES.config) ?? {}) };
    if (config.chat_template === undefined || config.chat_template === null) {
      const template = readChatTemplateFile(abs);
      if (template !== undefined) config.chat_template = template;
    }

    const lib = await import('@huggingface/transformers');
    let tok: PreTrainedTokenizer;
    try {
      tok = new (tokenizerClass(lib, config))(tokenizerJson, config);
    } catch (e) {
      throw new UserError(`cannot build the tokenizer from '${path.join(dir, FILES.tokenizer)}': ${errorText(e)}`);
    }
    return new Tokenizer(dir, tok, config, generationEosIds(abs));
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    return this.tok.encode(text, { add_special_tokens: opts?.addSpecialTokens ?? true });
  }

  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string {
    // The library refuses an empty list; the empty sequence decodes to the empty string.
    if (ids.length === 0) return '';
    return this.tok.decode(ids, { skip_special_tokens: opts?.skipSpecialTokens ?? false });
  }

  /** Renders the conversation with the model's chat template (text, not ids). */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt: boolean }): string {
    if (!this.hasChatTemplate) {
      throw new UserError(
        `the tokenizer in '${this.dir}' has no chat template (no chat_template in ${FILES.config} and no ` +
          `${FILES.templateJinja}); use an instruct/chat model or a raw prompt layout`,
      );
    }
    let template: unknown;
    try {
      template = this.tok.get_chat_template(); // picks "default" from a dict of named templates
    } catch (e) {
      throw new UserError(`cannot choose a chat template in '${this.dir}': ${errorText(e)}`);
    }
    if (typeof template !== 'string') throw new UserError(`the chat template in '${this.dir}' is not text (got ${typeof template})`);
    this.sandbox ??= new ChatTemplateSandbox(this.dir);
    // Templates raise on conversations they do not accept (e.g. a system turn for Gemma): the sandbox names them.
    return this.sandbox.render(template, { messages, add_generation_prompt: opts.addGenerationPrompt, tools: null, documents: null, ...this.templateVars });
  }

  /** Ends the chat-template worker thread (it is unref'd, so this is only needed to free it early). */
  dispose(): void {
    this.sandbox?.dispose();
    this.sandbox = null;
  }

  /** Decoded text of one token, special tokens included (for showing candidates). */
  tokenText(id: number): string {
    return this.decode([id]);
  }
}

// transformers.js passes these special tokens to chat templates (its SPECIAL_TOKEN_ATTRIBUTES).
const TEMPLATE_TOKEN_VARS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

type TokenizerCtor = new (tokenizerJson: unknown, config: unknown) => PreTrainedTokenizer;

// Same rule as AutoTokenizer: tokenizer_class without its "Fast" suffix names an exported class;
// anything unknown (e.g. PreTrainedTokenizerFast) uses the base class.
function tokenizerClass(lib: typeof import('@huggingface/transformers'), config: Json): TokenizerCtor {
  const base = lib.PreTrainedTokenizer as unknown as TokenizerCtor;
  const name = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
  const candidate = (lib as unknown as Record<string, unknown>)[name];
  if (typeof candidate === 'function' && candidate.prototype instanceof lib.PreTrainedTokenizer) {
    return candidate as TokenizerCtor;
  }
  return base;
}

/** tokenizer_config.json stores a special token as a string or as {content, __type: "AddedToken"}. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

function readJson(dir: string, name: string): Json | undefined {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot parse '${file}': ${errorText(e)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`'${file}' must hold a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Json;
}

function readChatTemplateFile(dir: string): string | undefined {
  const jinja = path.join(dir, FILES.templateJinja);
  if (fs.existsSync(jinja)) return fs.readFileSync(jinja, 'utf8');
  const json = readJson(dir, FILES.templateJson);
  return typeof json?.chat_template === 'string' ? json.chat_template : undefined;
}

/**
 * eos ids the model stops on besides the tokenizer's eos token: generation_config.json's eos_token_id
 * (a number or a list, e.g. Llama-3's <|eot_id|>); without that file, config.json's, as transformers does.
 */
function generationEosIds(dir: string): number[] {
  const source = readJson(dir, FILES.generation) ?? readJson(dir, FILES.modelConfig);
  const v = source?.eos_token_id;
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.filter((x): x is number => Number.isInteger(x));
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
