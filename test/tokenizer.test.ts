// Tokenizer wrapper on tiny hand-built byte-level BPE tokenizers whose ids can be worked out by hand:
// byte b has id b, then nine merges, then the added tokens (see writeTinyTokenizer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '../src/engine/tokenizer';
import { UserError } from '../src/engine';
import { writeTinyModel, type TinyFamily } from './helpers/tiny-models';
import { buildTinyTokenizer } from './helpers/tiny-tokenizer';

// GPT-2's byte → printable-character table: printable Latin-1 bytes stand for themselves, the rest
// are shifted to 256 + n in byte order (so ' ' becomes 'Ġ', '\n' becomes 'Ċ').
function byteChars(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCharCode(keep(b) ? b : 256 + shifted++));
  return out;
}

// Merge i creates token id 256 + i. Hand-derived: 'hello' → [259], ' world' → [264].
const MERGES = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld'];
const HELLO = 259;
const SP_WORLD = 264;
const FIRST_ADDED = 256 + MERGES.length; // 265

type Flavor = 'llama3' | 'chatml' | 'plain';

const LLAMA3_TOKENS = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'];
const CHATML_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

const LLAMA3_TEMPLATE =
  "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + " +
  "message['content'] | trim + '<|eot_id|>' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";
const CHATML_TEMPLATE =
  "{%- for message in messages %}{%- if message.role == 'system' and not loop.first %}{{ raise_exception('system must come first') }}{%- endif %}" +
  "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/**
 * Writes tokenizer.json + tokenizer_config.json (+ generation_config.json / chat_template.jinja) for:
 * llama3: bos added by the post-processor, template in tokenizer_config.json, generation eos = [eos, eot];
 * chatml: no bos, template in chat_template.jinja, pad token, generation eos as a single number;
 * plain: no chat template, no generation config.
 */
function writeTinyTokenizer(dir: string, flavor: Flavor): void {
  fs.mkdirSync(dir, { recursive: true });
  const chars = byteChars();
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => (vocab[c] = b));
  MERGES.forEach((m, i) => (vocab[m.replace(' ', '')] = 256 + i));
  const addedNames = flavor === 'llama3' ? LLAMA3_TOKENS : CHATML_TOKENS;
  const added = addedNames.map((content, i) => ({
    id: FIRST_ADDED + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const bos = flavor === 'llama3' ? '<|begin_of_text|>' : undefined;
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: bos
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { [bos]: { id: bos, ids: [FIRST_ADDED], tokens: [bos] } },
        }
      : null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: MERGES,
    },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));

  const config: Record<string, unknown> = { clean_up_tokenization_spaces: false, model_max_length: 1024 };
  if (flavor === 'llama3') {
    Object.assign(config, { tokenizer_class: 'PreTrainedTokenizerFast', bos_token: bos, eos_token: '<|end_of_text|>', chat_template: LLAMA3_TEMPLATE });
    fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: FIRST_ADDED, eos_token_id: [FIRST_ADDED + 1, FIRST_ADDED + 4] }));
  } else {
    // AddedToken-object form of a special token, as older tokenizer_config.json files have it.
    Object.assign(config, { tokenizer_class: 'Qwen2Tokenizer', bos_token: null, pad_token: '<|endoftext|>', eos_token: { __type: 'AddedToken', content: '<|im_end|>' } });
    if (flavor === 'chatml') {
      fs.writeFileSync(path.join(dir, 'chat_template.jinja'), CHATML_TEMPLATE);
      fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: FIRST_ADDED }));
    }
  }
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-tok-'));
const dirs = { llama3: path.join(root, 'llama3'), chatml: path.join(root, 'chatml'), plain: path.join(root, 'plain') };
for (const [flavor, dir] of Object.entries(dirs)) writeTinyTokenizer(dir, flavor as Flavor);
test.after(() => fs.rmSync(root, { recursive: true, force: true }));

test('encode gives the hand-derived BPE ids; bos only with special tokens', async () => {
  const tok = await Tokenizer.load(dirs.llama3);
  assert.deepEqual(tok.encode('hello world', { addSpecialTokens: false }), [HELLO, SP_WORLD]);
  assert.deepEqual(tok.encode('hello world'), [FIRST_ADDED, HELLO, SP_WORLD]);
  // 'hi!' has no merges: one id per byte.
  assert.deepEqual(tok.encode('hi!', { addSpecialTokens: false }), [0x68, 0x69, 0x21]);
  // 'é' is the UTF-8 bytes C3 A9.
  assert.deepEqual(tok.encode('é', { addSpecialTokens: false }), [0xc3, 0xa9]);
  // An added token inside the text is one id.
  assert.deepEqual(tok.encode('hello<|eot_id|>', { addSpecialTokens: false }), [HELLO, FIRST_ADDED + 4]);
});

test('empty string encodes to nothing (or just bos) and decodes back', async () => {
  const tok = await Tokenizer.load(dirs.llama3);
  assert.deepEqual(tok.encode('', { addSpecialTokens: false }), []);
  assert.deepEqual(tok.encode(''), [FIRST_ADDED]);
  assert.equal(tok.decode([]), '');
  assert.equal(tok.decode([FIRST_ADDED], { skipSpecialTokens: true }), '');
});

test('decode(encode(x)) round-trips text with spaces, newlines, accents and emoji', async () => {
  const tok = await Tokenizer.load(dirs.chatml);
  for (const text of ['hello world', '  two  spaces\n\nand tabs\t', 'héllo wörld — ✓ 🙂', 'a', ' ']) {
    const ids = tok.encode(text, { addSpecialTokens: false });
    assert.ok(ids.every((id) => id >= 0 && id < tok.vocabSize), `ids of ${JSON.stringify(text)} in range`);
    assert.equal(tok.decode(ids), text);
  }
});

test('decode keeps or skips special tokens; tokenText shows one token', async () => {
  const tok = await Tokenizer.load(dirs.llama3);
  const ids = [FIRST_ADDED, HELLO, SP_WORLD, FIRST_ADDED + 4];
  assert.equal(tok.decode(ids), '<|begin_of_text|>hello world<|eot_id|>');
  assert.equal(tok.decode(ids, { skipSpecialTokens: true }), 'hello world');
  assert.equal(tok.tokenText(SP_WORLD), ' world');
  assert.equal(tok.tokenText(FIRST_ADDED + 4), '<|eot_id|>');
});

test('Llama-3 style template from tokenizer_config.json, with and without generation prompt', async () => {
  const tok = await Tokenizer.load(dirs.llama3);
  assert.equal(tok.hasChatTemplate, true);
  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: ' Hi there ' },
  ];
  const body =
    '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
    '<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>';
  assert.equal(tok.applyChatTemplate(messages, { addGenerationPrompt: false }), body);
  const withPrompt = tok.applyChatTemplate(messages, { addGenerationPrompt: true });
  assert.equal(withPrompt, body + '<|start_header_id|>assistant<|end_header_id|>\n\n');
  // The rendered text carries its own bos; its control tokens encode as single ids.
  const ids = tok.encode(withPrompt, { addSpecialTokens: false });
  assert.equal(ids[0], FIRST_ADDED);
  assert.equal(ids.filter((id) => id === FIRST_ADDED + 4).length, 2);
  assert.equal(tok.decode(ids), withPrompt);
});

test('ChatML template from chat_template.jinja; a template error becomes a UserError', async () => {
  const tok = await Tokenizer.load(dirs.chatml);
  assert.equal(tok.hasChatTemplate, true);
  const text = tok.applyChatTemplate([{ role: 'user', content: 'hello' }], { addGenerationPrompt: true });
  assert.equal(text, '<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n');
  assert.throws(
    () => tok.applyChatTemplate([{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }], { addGenerationPrompt: false }),
    (e: unknown) => e instanceof UserError && /system must come first/.test(e.message),
  );
});

test('a folder without a chat template says so', async () => {
  const tok = await Tokenizer.load(dirs.plain);
  assert.equal(tok.hasChatTemplate, false);
  assert.throws(
    () => tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }),
    (e: unknown) => e instanceof UserError && e.message.includes(dirs.plain) && /no chat template/.test(e.message),
  );
});

test('eos ids are the union of the tokenizer eos and generation_config eos_token_id', async () => {
  const llama = await Tokenizer.load(dirs.llama3);
  // tokenizer eos <|end_of_text|> and generation_config [<|end_of_text|>, <|eot_id|>]
  assert.deepEqual([...llama.eosIds].sort((a, b) => a - b), [FIRST_ADDED + 1, FIRST_ADDED + 4]);
  const chatml = await Tokenizer.load(dirs.chatml);
  // tokenizer eos <|im_end|> (AddedToken object form) and generation_config 265 (<|endoftext|>)
  assert.deepEqual([...chatml.eosIds].sort((a, b) => a - b), [FIRST_ADDED, FIRST_ADDED + 2]);
  const plain = await Tokenizer.load(dirs.plain);
  assert.deepEqual(plain.eosIds, [FIRST_ADDED + 2]);
});

test('bos, pad, vocab size and special ids', async () => {
  const llama = await Tokenizer.load(dirs.llama3);
  assert.equal(llama.bosId, FIRST_ADDED);
  assert.equal(llama.padId, undefined);
  assert.equal(llama.vocabSize, FIRST_ADDED + LLAMA3_TOKENS.length);
  assert.deepEqual([...llama.specialIds].sort((a, b) => a - b), LLAMA3_TOKENS.map((_, i) => FIRST_ADDED + i));
  const chatml = await Tokenizer.load(dirs.chatml);
  assert.equal(chatml.bosId, undefined);
  assert.equal(chatml.padId, FIRST_ADDED);
  assert.equal(chatml.vocabSize, FIRST_ADDED + CHATML_TOKENS.length);
  assert.ok(!chatml.specialIds.has(HELLO));
});

test('missing folder, missing tokenizer.json and broken JSON are UserErrors naming the file', async () => {
  const missing = path.join(root, 'no-such-folder');
  await assert.rejects(Tokenizer.load(missing), (e: unknown) =>
    e instanceof UserError && e.message.includes(missing) && e.message.includes('tokenizer.json'));

  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty);
  await assert.rejects(Tokenizer.load(empty), (e: unknown) =>
    e instanceof UserError && e.message.includes(empty) && /no tokenizer\.json/.test(e.message));

  const broken = path.join(root, 'broken');
  writeTinyTokenizer(broken, 'plain');
  fs.writeFileSync(path.join(broken, 'tokenizer_config.json'), '{"eos_token": ');
  await assert.rejects(Tokenizer.load(broken), (e: unknown) =>
    e instanceof UserError && e.message.includes(path.join(broken, 'tokenizer_config.json')));
});

// The shared tiny model folders the model-family tests use: the ids the helper declares must be what
// the loader reports, so generation stops and pads where the model tests expect.
for (const family of ['llama', 'qwen2', 'gemma2'] as const satisfies readonly TinyFamily[]) {
  test(`tiny ${family} model folder: declared bos/eos/pad ids, vocab size, round trip, template`, async () => {
    const dir = path.join(root, `tiny-${family}`);
    writeTinyModel(dir, family);
    const want = buildTinyTokenizer(family);
    const tok = await Tokenizer.load(dir);
    assert.equal(tok.bosId, want.bosId ?? undefined);
    assert.equal(tok.padId, want.padId);
    assert.deepEqual([...tok.eosIds].sort((a, b) => a - b), [...new Set([want.eosId, ...want.stopIds])].sort((a, b) => a - b));
    assert.equal(tok.vocabSize, want.vocabSize);
    const text = 'Hello world, the cat sat on the mat.\n  Twice!';
    assert.equal(tok.decode(tok.encode(text, { addSpecialTokens: false })), text);
    assert.equal(tok.encode('', { addSpecialTokens: true }).length, want.bosId === null ? 0 : 1);
    const rendered = tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    assert.ok(rendered.includes('Hi'));
    const ids = tok.encode(rendered, { addSpecialTokens: false });
    assert.ok(ids.some((id) => tok.specialIds.has(id)), 'template control tokens encode as special ids');
    if (family === 'gemma2') {
      // Gemma's template refuses a system turn.
      assert.throws(() => tok.applyChatTemplate([{ role: 'system', content: 's' }, { role: 'user', content: 'u' }], { addGenerationPrompt: true }),
        (e: unknown) => e instanceof UserError && /System role not supported/.test(e.message));
    }
  });
}
