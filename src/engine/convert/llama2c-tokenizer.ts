// Reads a llama2.c tokenizer export (int32 max_token_length, then per id: float32 score, int32 length,
// UTF-8 bytes) and turns it into a Hugging Face SentencePiece-style BPE tokenizer.json that encodes
// exactly as llama2.c's encode() does: dummy "▁" prefix, per-character pieces with byte fallback, then
// repeated merging of the adjacent pair whose concatenation has the highest score.
import * as path from 'node:path';
import { UserError } from '../errors';
import { readInputFile } from './llama2c-checkpoint';

export interface Llama2cVocab {
  maxTokenLength: number;
  pieces: string[];
  scores: number[];
}

/** llama2.c writes SentencePiece's "▁" as a plain space; HF vocabularies keep "▁". */
const SPACE_MARK = '\u2581';
/** Layout shared by Llama-2-style SentencePiece vocabularies: 3 specials, then 256 byte tokens. */
const SPECIALS = ['<unk>', '<s>', '</s>'] as const;
const FIRST_BYTE_ID = 3;
const FIRST_PIECE_ID = FIRST_BYTE_ID + 256;

export function readLlama2cTokenizer(file: string, vocabSize: number): Llama2cVocab {
  const name = path.basename(file);
  const buf = readInputFile(file, 'tokenizer');
  if (buf.length < 4) throw new UserError(`${name}: expected at least 4 bytes (int32 max_token_length), got ${buf.length}`);
  const maxTokenLength = buf.readInt32LE(0);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  let off = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (off + 8 > buf.length) {
      throw new UserError(`${name}: file ends at byte ${buf.length} inside token ${id} of ${vocabSize} (the checkpoint's vocab_size); is this the tokenizer that belongs to the checkpoint?`);
    }
    const score = buf.readFloatLE(off);
    const len = buf.readInt32LE(off + 4);
    if (len < 0 || len > maxTokenLength || off + 8 + len > buf.length) {
      throw new UserError(`${name}: token ${id} at byte ${off} has length ${len}, which does not fit (max_token_length=${maxTokenLength}, file has ${buf.length} bytes)`);
    }
    let piece: string;
    try {
      piece = decoder.decode(buf.subarray(off + 8, off + 8 + len));
    } catch {
      throw new UserError(`${name}: token ${id} at byte ${off} is not valid UTF-8`);
    }
    pieces.push(piece);
    scores.push(score);
    off += 8 + len;
  }
  if (off !== buf.length) {
    throw new UserError(`${name}: ${buf.length - off} bytes remain after ${vocabSize} tokens; the tokenizer has more tokens than the checkpoint's vocab_size=${vocabSize}`);
  }
  checkLayout(name, pieces);
  return { maxTokenLength, pieces, scores };
}

function checkLayout(name: string, pieces: string[]): void {
  if (pieces.length <= FIRST_PIECE_ID) throw new UserError(`${name}: only ${pieces.length} tokens; a SentencePiece BPE vocabulary with byte fallback needs more than ${FIRST_PIECE_ID}`);
  for (let b = 0; b < 256; b++) {
    const want = byteToken(b);
    if (pieces[FIRST_BYTE_ID + b] !== want) {
      throw new UserError(`${name}: token ${FIRST_BYTE_ID + b} is ${JSON.stringify(pieces[FIRST_BYTE_ID + b])}, expected the byte token ${want} (ids 3..258 must be <0x00>..<0xFF>)`);
    }
  }
  const seen = new Map<string, number>();
  for (let id = FIRST_PIECE_ID; id < pieces.length; id++) {
    const p = pieces[id];
    if (p.length === 0) throw new UserError(`${name}: token ${id} is empty`);
    if (p.includes(SPACE_MARK)) throw new UserError(`${name}: token ${id} ${JSON.stringify(p)} contains U+2581, which llama2.c exports write as a space`);
    const prev = seen.get(p);
    if (prev !== undefined) throw new UserError(`${name}: tokens ${prev} and ${id} are both ${JSON.stringify(p)}`);
    seen.set(p, id);
  }
}

function byteToken(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * BPE merges in priority order. llama2.c merges the adjacent pair whose concatenation has the highest
 * score, so each piece of two or more characters yields one merge per way to split it into two pieces,
 * ranked by the piece's score (ties by id). Byte tokens and specials never take part in merges.
 */
export function mergesFromScores(pieces: string[], scores: number[]): [string, string][] {
  const vocab = new Set(pieces.slice(FIRST_PIECE_ID));
  const order = pieces.map((_, id) => id).slice(FIRST_PIECE_ID).sort((a, b) => scores[b] - scores[a] || a - b);
  const merges: [string, string][] = [];
  for (const id of order) {
    const chars = Array.from(pieces[id]); // split between code points, as llama2.c's pieces are UTF-8 characters
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join('');
      const right = chars.slice(k).join('');
      if (vocab.has(left) && vocab.has(right)) merges.push([left, right]);
    }
  }
  return merges;
}

const toHf = (piece: string) => piece.replace(/ /g, SPACE_MARK);

/** tokenizer.json content (as a plain object) for a llama2.c vocabulary. */
export function llama2cTokenizerJson(v: Llama2cVocab): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  SPECIALS.forEach((t, id) => { vocab[t] = id; });
  for (let id = FIRST_BYTE_ID; id < v.pieces.length; id++) vocab[id < FIRST_PIECE_ID ? v.pieces[id] : toHf(v.pieces[id])] = id;
  const merges = mergesFromScores(v.pieces, v.scores).map(([a, b]) => [toHf(a), toHf(b)]);
  const special = (id: number) => ({ id, content: SPECIALS[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((_, id) => special(id)),
    // The dummy prefix and space marking happen before BPE; there is no pre-tokenizer, so merges may run
    // across the whole text exactly as in llama2.c.
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE_MARK }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK }] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    // Inverse of the above: "▁" back to spaces, <0xXX> runs back to UTF-8, then drop the dummy prefix.
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE_MARK }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges,
    },
  };
}

/** A story model has no chat format: the template joins the messages' text after BOS. */
const PLAIN_TEMPLATE = "{{ bos_token }}{% for message in messages %}{{ message['content'] | trim }}{% if not loop.last %}{{ '\\n' }}{% endif %}{% endfor %}";

export function llama2cTokenizerConfig(maxLength: number): Record<string, unknown> {
  const decoderEntries: Record<string, unknown> = {};
  SPECIALS.forEach((content, id) => {
    decoderEntries[String(id)] = { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
  });
  return {
    added_tokens_decoder: decoderEntries,
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: false,
    model_max_length: maxLength,
    tokenizer_class: 'LlamaTokenizer',
    chat_template: PLAIN_TEMPLATE,
  };
}
