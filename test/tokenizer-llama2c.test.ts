// The converted stories260K tokenizer.json, loaded by @huggingface/transformers, must give exactly the
// ids of llama2.c's encode() (re-implemented below from its description, working on the raw tok512.bin)
// and decode back to the input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { convertLlama2c } from '../src/engine/convert/llama2c';
import { Prng } from './helpers/prng';

env.allowRemoteModels = false;

const shared = path.resolve(__dirname, '..', '..', '..', 'shared');
const modelDir = path.join(shared, 'models', 'stories260K');
const present = fs.existsSync(path.join(modelDir, 'stories260K.bin')) && fs.existsSync(path.join(modelDir, 'tok512.bin'));
if (!present) console.log(`# skipping llama2.c tokenizer tests: ${modelDir} is absent`);

let out = '';
let tok: PreTrainedTokenizer;
let vocab: { pieces: string[]; scores: number[] };

before(async () => {
  if (!present) return;
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-l2c-tok-'));
  convertLlama2c({ checkpoint: path.join(modelDir, 'stories260K.bin'), tokenizer: path.join(modelDir, 'tok512.bin'), out, force: true });
  tok = await AutoTokenizer.from_pretrained(out);
  vocab = readTok(path.join(modelDir, 'tok512.bin'));
});
after(() => { if (out) fs.rmSync(out, { recursive: true, force: true }); });

/** tok512.bin: int32 max_token_length, then per id float32 score, int32 length, raw UTF-8 bytes. */
function readTok(file: string): { pieces: string[]; scores: number[] } {
  const b = fs.readFileSync(file);
  const pieces: string[] = [];
  const scores: number[] = [];
  let o = 4;
  while (o < b.length) {
    scores.push(b.readFloatLE(o));
    const n = b.readInt32LE(o + 4);
    pieces.push(b.subarray(o + 8, o + 8 + n).toString('utf8'));
    o += 8 + n;
  }
  return { pieces, scores };
}

/** llama2.c encode(): BOS, dummy " " prefix, one piece per character or its bytes + 3, then
 *  repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece (first on ties). */
function referenceEncode(text: string): number[] {
  const id = new Map(vocab.pieces.map((p, i) => [p, i]));
  const tokens = [1];
  if (text.length > 0) tokens.push(id.get(' ')!);
  for (const ch of text) {
    const t = id.get(ch);
    if (t !== undefined) tokens.push(t);
    else for (const byte of Buffer.from(ch, 'utf8')) tokens.push(byte + 3);
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const m = id.get(vocab.pieces[tokens[i]] + vocab.pieces[tokens[i + 1]]);
      if (m !== undefined && vocab.scores[m] > best) { best = vocab.scores[m]; bestId = m; bestIdx = i; }
    }
    if (bestIdx < 0) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}

/** llama2.c decode(): drop the leading space of the piece after BOS, <0xXX> tokens are raw bytes. */
function referenceDecode(ids: number[]): string {
  const bytes: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] === 1) continue;
    let piece = vocab.pieces[ids[i]];
    const m = /^<0x([0-9A-F]{2})>$/.exec(piece);
    if (m) { bytes.push(parseInt(m[1], 16)); continue; }
    if (i > 0 && ids[i - 1] === 1 && piece.startsWith(' ')) piece = piece.slice(1);
    bytes.push(...Buffer.from(piece, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const HANDPICKED = [
  '', ' ', '  ', 'a', 'Once upon a time', 'Lily', 'Once upon a time, there was a little girl named Lily.',
  'Timmy and his mom went to the park. They saw a big dog!', ' leading space', 'trailing space ', 'two  spaces',
  '\n', 'line one\nline two\n\nline four', '\ttab\tseparated', 'CRLF\r\nline', '1234567890', '3.14 + 2 = 5.14',
  'He said, "Hello!" She asked: "Why?"', '“Curly quotes” and ‘single’ ones', 'Don’t stop', 'café', 'naïve',
  'résumé — done…', '€100 or $5', 'ñandú', 'â', 'Brand™', 'non\u00a0breaking', 'hair\u200aspace', '😀', 'I ❤️ cats 🐱',
  'thumbs 👍🏽', 'flag 🇫🇷', '日本語のテキスト', 'e\u0301 combining', 'Ω≈ç√∫', 'x<y>z & a|b ~[c]', 'back\\slash %50 *bold* `code`',
  'UPPER lower MiXeD', "it's Lily's toy", 'the the the the', 'aaaaaaaaaaaa', 'Thethe', '...', '!!!???', '- - -', '–—',
  'The end.\n', '\u0000nul', 'tiny\u007fdel',
];

const WORDS = ['Once', 'upon', 'a', 'time', 'there', 'was', 'little', 'girl', 'named', 'Lily', 'Timmy', 'she', 'loved',
  'to', 'play', 'with', 'her', 'friend', 'the', 'big', 'dog', 'happy', 'said', 'mom', 'park', 'They', 'One', 'day', 'saw',
  'ball', 'red', 'sun', 'tree', 'run', 'jumped', 'very', 'but', 'want', 'xylophone', 'quizzical', 'Zebra'];
const BITS = [' ', ' ', ' ', '  ', ', ', '. ', '!', '?', '\n', '"', "'", '’', '“', '”', 'é', '€', '—', '…', 'ñ', '😀', '🐱',
  '日', '7', '42', '2024', '\t', '(', ')', ':', ';', '-', '\u00a0', 'Ä', 'ß'];

function generated(n: number): string[] {
  const rng = new Prng(2024);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng.uniform() * xs.length)];
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let s = '';
    const parts = 1 + Math.floor(rng.uniform() * 12);
    for (let p = 0; p < parts; p++) {
      const r = rng.uniform();
      if (r < 0.55) s += pick(WORDS);
      else if (r < 0.9) s += pick(BITS);
      else s += String.fromCharCode(0x20 + Math.floor(rng.uniform() * 95)); // any printable ASCII
    }
    out.push(s);
  }
  return out;
}

const CASES = [...HANDPICKED, ...generated(160)];

test('the examples from SOURCE.md', { skip: !present }, () => {
  assert.deepEqual(tok.encode('Once upon a time'), [1, 403, 407, 261, 378]);
  assert.deepEqual(tok.encode('Lily'), [1, 317]);
  assert.deepEqual(tok.encode(''), [1]);
  assert.deepEqual(tok.encode('\n'), [1, 410, 13], 'newline has no piece: byte token <0x0A> = 13');
});

test(`ids equal llama2.c's encode on ${CASES.length} strings`, { skip: !present }, () => {
  assert.ok(CASES.length >= 200);
  let mismatches = 0;
  for (const s of CASES) {
    const want = referenceEncode(s);
    const got = tok.encode(s);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches++;
      assert.deepEqual(got, want, `encode(${JSON.stringify(s)})`);
    }
  }
  assert.equal(mismatches, 0);
});

test('decode inverts encode and agrees with llama2.c decode', { skip: !present }, () => {
  for (const s of CASES) {
    const ids = tok.encode(s);
    assert.equal(referenceDecode(ids), s, `reference decode of ${JSON.stringify(s)}`);
    assert.equal(tok.decode(ids, { skip_special_tokens: true }), s, `decode(encode(${JSON.stringify(s)}))`);
  }
});

test('special ids and the chat template', { skip: !present }, () => {
  assert.equal(tok.bos_token_id, 1);
  assert.equal(tok.eos_token_id, 2);
  assert.equal(tok.unk_token_id, 0);
  const rendered = tok.apply_chat_template([{ role: 'user', content: 'Once upon a time' }], { tokenize: false }) as string;
  assert.equal(rendered, '<s>Once upon a time');
  assert.deepEqual(tok.encode(rendered, { add_special_tokens: false }), [1, 403, 407, 261, 378]);
});
