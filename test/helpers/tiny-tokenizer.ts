// A small byte-level BPE tokenizer in Hugging Face tokenizer.json form (GPT-2 / Llama-3 style: 256 byte
// symbols, a few dozen merges of common English pairs, then the family's special tokens), with a
// tokenizer_config.json whose chat template follows the family's real prompt format.
import { addedToken, addedTokensDecoder, byteSymbolsInVocabOrder } from '../../src/demo/tokenizer';

/** The three prompt formats the tiny tokenizers imitate (Llama-3 headers, ChatML, Gemma turns). */
export type TokenizerFlavor = 'llama' | 'qwen2' | 'gemma2';

// "Ġ" is the byte-level symbol for a space. Each merge's parts exist before it; order = priority.
const MERGES: [string, string][] = [
  ['Ġ', 't'], ['h', 'e'], ['Ġ', 'a'], ['i', 'n'], ['Ġt', 'he'], ['e', 'r'], ['o', 'n'], ['Ġ', 's'],
  ['e', 'd'], ['r', 'e'], ['Ġ', 'w'], ['o', 'u'], ['a', 't'], ['e', 'n'], ['Ġ', 'c'], ['i', 's'],
  ['o', 'r'], ['Ġ', 'h'], ['i', 't'], ['Ġ', 'o'], ['a', 'n'], ['in', 'g'], ['Ġ', 'b'], ['Ġ', 'f'],
  ['l', 'l'], ['Ġ', 'm'], ['a', 'r'], ['Ġ', 'p'], ['Ġ', 'd'], ['e', 's'], ['Ġa', 'n'], ['Ġan', 'd'],
  ['Ġo', 'f'], ['Ġt', 'o'], ['l', 'd'], ['Ġw', 'or'], ['Ġwor', 'ld'], ['Ġc', 'at'], ['Ġs', 'at'],
  ['H', 'e'], ['He', 'll'], ['Hell', 'o'], ['Ġ', 'H'], ['ĠH', 'e'],
];

// Pre-tokenizer split patterns published in the Llama-3 and Qwen2 tokenizer.json files (facts, not code).
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface FamilyTokens {
  /** Special tokens before the byte symbols (Gemma keeps <pad> <eos> <bos> <unk> at ids 0..3). */
  leading: string[];
  /** Special tokens after the merges (Llama-3 and Qwen2 put all of theirs there). */
  trailing: string[];
  bos: string | null;
  eos: string;
  /** Extra ids that end generation (generation_config.json eos_token_id list). */
  stop: string[];
  pad: string;
  unk: string | null;
  splitPattern: string | null;
  tokenizerClass: string;
  chatTemplate: string;
}

// Chat templates written in each family's published prompt format.
const LLAMA3_TEMPLATE = [
  "{{- bos_token }}",
  "{%- for message in messages %}",
  "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}",
].join('\n');

const CHATML_TEMPLATE = [
  "{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}",
  "{%- for message in messages %}",
  "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}",
].join('\n');

const GEMMA_TEMPLATE = [
  "{{ bos_token }}",
  "{%- if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{%- endif %}",
  "{%- for message in messages %}",
  "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}",
  "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}",
  "{{ '<start_of_turn>' + role + '\\n' + (message['content'] | trim) + '<end_of_turn>\\n' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{%- endif %}",
].join('\n');

const FAMILY_TOKENS: Record<TokenizerFlavor, FamilyTokens> = {
  llama: {
    leading: [],
    trailing: ['<|begin_of_text|>', '<|end_of_text|>', '<|finetune_right_pad_id|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
    bos: '<|begin_of_text|>', eos: '<|eot_id|>', stop: ['<|end_of_text|>', '<|eot_id|>'], pad: '<|finetune_right_pad_id|>', unk: null,
    splitPattern: LLAMA3_SPLIT, tokenizerClass: 'PreTrainedTokenizerFast', chatTemplate: LLAMA3_TEMPLATE,
  },
  qwen2: {
    leading: [],
    trailing: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
    bos: null, eos: '<|im_end|>', stop: ['<|im_end|>', '<|endoftext|>'], pad: '<|endoftext|>', unk: null,
    splitPattern: QWEN2_SPLIT, tokenizerClass: 'Qwen2Tokenizer', chatTemplate: CHATML_TEMPLATE,
  },
  gemma2: {
    leading: ['<pad>', '<eos>', '<bos>', '<unk>'],
    trailing: ['<start_of_turn>', '<end_of_turn>'],
    bos: '<bos>', eos: '<eos>', stop: ['<eos>', '<end_of_turn>'], pad: '<pad>', unk: '<unk>',
    splitPattern: null, tokenizerClass: 'GemmaTokenizer', chatTemplate: GEMMA_TEMPLATE,
  },
};

export interface TinyTokenizer {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  vocabSize: number;
  bosId: number | null;
  eosId: number;
  /** Ids that end generation, as generation_config.json lists them. */
  stopIds: number[];
  padId: number;
}

export function buildTinyTokenizer(family: TokenizerFlavor): TinyTokenizer {
  const f = FAMILY_TOKENS[family];
  const vocabList = [...f.leading, ...byteSymbolsInVocabOrder(), ...MERGES.map(([a, b]) => a + b), ...f.trailing];
  const vocab: Record<string, number> = {};
  vocabList.forEach((t, i) => { vocab[t] = i; });
  const specials = [...f.leading, ...f.trailing];
  const idOf = (t: string): number => {
    const id = vocab[t];
    if (id === undefined) throw new Error(`tiny tokenizer: no token ${t}`);
    return id;
  };
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: f.splitPattern === null };
  const preTokenizer = f.splitPattern === null ? byteLevel : {
    type: 'Sequence',
    pretokenizers: [{ type: 'Split', pattern: { Regex: f.splitPattern }, behavior: 'Isolated', invert: false }, byteLevel],
  };
  const bosTemplate = (bos: string) => ({
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [idOf(bos)], tokens: [bos] } },
  });
  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => addedToken(idOf(t), t)),
    normalizer: family === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: preTokenizer,
    post_processor: f.bos ? bosTemplate(f.bos) : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: f.unk, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: family === 'llama', vocab, merges: MERGES.map(([a, b]) => `${a} ${b}`),
    },
  };
  const tokenizerConfig: Record<string, unknown> = {
    added_tokens_decoder: addedTokensDecoder(specials, idOf),
    bos_token: f.bos,
    eos_token: f.eos,
    pad_token: f.pad,
    ...(f.unk ? { unk_token: f.unk } : {}),
    ...(f.bos ? { add_bos_token: true, add_eos_token: false } : {}),
    clean_up_tokenization_spaces: false,
    model_max_length: 256,
    tokenizer_class: f.tokenizerClass,
    chat_template: f.chatTemplate,
  };
  return {
    tokenizerJson, tokenizerConfig, vocabSize: vocabList.length,
    bosId: f.bos ? idOf(f.bos) : null, eosId: idOf(f.eos), stopIds: f.stop.map(idOf), padId: idOf(f.pad),
  };
}
