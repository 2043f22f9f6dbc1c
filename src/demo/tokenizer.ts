// Builds the demo model's tokenizer: byte-level BPE in Hugging Face tokenizer.json form (256 byte symbols,
// merges learned on the demo corpus until every word of it is one token, then the chat special tokens),
// digits split one per token (the Qwen2 pre-tokenizer pattern) so the model adds digit by digit, and a
// tokenizer_config.json whose chat template has system / user / assistant roles.

/**
 * Pre-tokenizer split pattern: GPT-style words with their leading space, then one token per digit with
 * its leading space (" 1", "2"), so "12" is two tokens and the sums in the worked answers stay short.
 * Valid both as a JavaScript RegExp (flags "gu") and in tokenizer.json.
 */
export const SPLIT_PATTERN = "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+| ?\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const SPLIT_JS = new RegExp(SPLIT_PATTERN, 'gu');

export const SPECIAL = {
  bos: '<|begin|>',
  eos: '<|end|>',
  pad: '<|pad|>',
  system: '<|system|>',
  user: '<|user|>',
  assistant: '<|assistant|>',
} as const;

// "<|role|>\n content <|end|>\n" per message; the generation prompt opens the assistant turn.
export const CHAT_TEMPLATE = [
  "{{- bos_token }}",
  "{%- for message in messages %}",
  "{%- if message['role'] != 'system' and message['role'] != 'user' and message['role'] != 'assistant' %}{{ raise_exception('Roles must be system, user or assistant') }}{%- endif %}",
  "{{- '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}",
].join('\n');

/** GPT-2's byte → printable character map: printable Latin-1 bytes stand for themselves, the others
 *  (controls, space, 0x7F-0xA0, soft hyphen) move to U+0100 upwards in byte order. */
function byteSymbols(): string[] {
  const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const sym: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) sym[b] = keep(b) ? String.fromCharCode(b) : String.fromCharCode(next++);
  return sym;
}

const SYMBOLS = byteSymbols();

/** The byte symbols in GPT-2's vocabulary order (by code point: printable bytes first). */
export function byteSymbolsInVocabOrder(): string[] {
  return [...SYMBOLS].sort((x, y) => x.charCodeAt(0) - y.charCodeAt(0));
}

export function preTokenize(text: string): string[] {
  return text.match(SPLIT_JS) ?? [];
}

/** A pre-token as byte symbols, one per UTF-8 byte. */
function toSymbols(piece: string): string[] {
  return Array.from(Buffer.from(piece, 'utf8'), (b) => SYMBOLS[b]);
}

/**
 * Classic BPE training on pre-token counts: repeatedly merge the most frequent adjacent pair (ties by the
 * pair's text, so the result is deterministic) until every pre-token of the corpus is a single token.
 */
export function learnMerges(texts: Iterable<string>): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of preTokenize(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const words = [...counts].map(([p, c]) => ({ syms: toSymbols(p), count: c })).sort((x, y) => (x.syms.join('') < y.syms.join('') ? -1 : 1));
  const merges: [string, string][] = [];
  for (;;) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.syms.length; i++) {
        const k = w.syms[i] + '\u0000' + w.syms[i + 1];
        pairs.set(k, (pairs.get(k) ?? 0) + w.count);
      }
    }
    if (pairs.size === 0) return merges;
    let best = '';
    let bestCount = -1;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) { best = k; bestCount = c; }
    const [a, b] = best.split('\u0000');
    merges.push([a, b]);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) { out.push(a + b); i++; } else out.push(w.syms[i]);
      }
      w.syms = out;
    }
  }
}

export interface DemoTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
  bosId: number;
  eosId: number;
  padId: number;
}

/** A special token as tokenizer.json's `added_tokens` lists it. */
export function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** tokenizer_config.json's `added_tokens_decoder`: the same entries keyed by id. */
export function addedTokensDecoder(specials: readonly string[], idOf: (t: string) => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of specials) {
    const { id, ...rest } = addedToken(idOf(t), t);
    out[String(id)] = rest;
  }
  return out;
}

export function buildTokenizerFiles(merges: readonly [string, string][], maxLength: number): DemoTokenizerFiles {
  const base = byteSymbolsInVocabOrder();
  const specials = Object.values(SPECIAL);
  const list = [...base, ...merges.map(([a, b]) => a + b), ...specials];
  const vocab: Record<string, number> = {};
  list.forEach((t, i) => {
    if (t in vocab) throw new Error(`demo tokenizer: token ${JSON.stringify(t)} listed twice`);
    vocab[t] = i;
  });
  const id = (t: string) => vocab[t];
  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => addedToken(id(t), t)),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    added_tokens_decoder: addedTokensDecoder(specials, id),
    bos_token: SPECIAL.bos,
    eos_token: SPECIAL.eos,
    pad_token: SPECIAL.pad,
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLength,
    tokenizer_class: 'PreTrainedTokenizerFast',
    chat_template: CHAT_TEMPLATE,
  };
  return { tokenizerJson, tokenizerConfig, vocabSize: list.length, bosId: id(SPECIAL.bos), eosId: id(SPECIAL.eos), padId: id(SPECIAL.pad) };
}
