// Bad inputs to `greater optimize` / `eval` / `extractor-check`: each fails before any optimisation with one
// line naming the file (and line) and what was expected, exit code 1, no stack trace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyModel } from './helpers/tiny-models';
import { checkModelFits, estimateModelMemory } from '../src/engine/weights/memory';
import { UserError } from '../src/engine';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-err-'));
const model = path.join(root, 'model');
after(() => fs.rmSync(root, { recursive: true, force: true }));
before(() => writeTinyModel(model, 'llama', { seed: 2 }));

function file(name: string, text: string): string {
  const f = path.join(root, name);
  fs.writeFileSync(f, text);
  return f;
}

const mcqRows = (n: number, letter: (i: number) => string = (i) => (i % 2 ? 'B' : 'A')) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ question: `Question ${i}?\nOptions:\n(A) yes\n(B) no`, answer: `(${letter(i)})` })).join('\n') + '\n';

function expectError(args: string[], pattern: RegExp): void {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}; stdout ${r.stdout}; stderr ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const SMALL = ['--steps', '1', '--train-size', '4', '--held-out', '2', '--max-new-tokens', '4', '--out', path.join(root, 'never')];

test('empty dataset', () => {
  const f = file('empty.jsonl', '');
  expectError(['optimize', '--model', model, '--task', f, ...SMALL], new RegExp(`${f.replace(/[.]/g, '\\.')}: the file is empty \\(expected`));
});

test('missing column', () => {
  const f = file('cols.csv', 'prompt,gold\n"What?",(A)\n');
  expectError(['optimize', '--model', model, '--task', f, '--answer-field', 'answer', ...SMALL], /cols\.csv: no column 'answer' for the answer \(--answer-field\); columns found: prompt, gold/);
});

test('unparseable row (file and line)', () => {
  const f = file('broken.jsonl', mcqRows(3) + '{"question": oops\n');
  expectError(['optimize', '--model', model, '--task', f, ...SMALL], /broken\.jsonl:4: not valid JSON \(expected one JSON object per line\)/);
});

test('labels outside the extractor\'s options', () => {
  const f = file('folio-like.jsonl', mcqRows(8, (i) => (i === 5 ? 'D' : 'A')));
  expectError(['optimize', '--model', model, '--task', f, '--extractor', 'folio', ...SMALL], /folio-like\.jsonl: 1 of 8 answers .* do not fit extractor 'folio' \(expected an option letter A–C.*lines 6 /);
});

test('an extractor that never appears in the decoded text', () => {
  const f = file('ok.jsonl', mcqRows(8));
  expectError(['optimize', '--model', model, '--task', f, '--extractor', '<|eot_id|>so the answer is $', ...SMALL], /ok\.jsonl: extractor 'custom': the extractor text .* never appears in the decoded text/);
  expectError(['extractor-check', '--model', model, '--task', f, '--extractor', '<|eot_id|>so the answer is $', '--samples', '2'], /never appears in the decoded text/);
});

test('a prompt longer than the context window (file and line of the longest question)', () => {
  const long = JSON.stringify({ question: 'word '.repeat(300) + '?', answer: '(A)' });
  const f = file('long.jsonl', mcqRows(3) + long + '\n' + mcqRows(7).split('\n').slice(3).join('\n'));
  expectError(['optimize', '--model', model, '--task', f, '--train-size', '7', '--held-out', '1', '--steps', '1', '--seed', '3', '--out', path.join(root, 'never2')],
    /long\.jsonl:4: this question with the prompt takes \d+ tokens .* context window of 256 tokens \(expected at most 254/);
  expectError(['eval', '--model', model, '--task', f, '--prompt', 'go', '--split', 'all'], /long\.jsonl:4: .*context window of 256 tokens/);
});

test('a model too large for free memory is refused before loading', () => {
  const big = path.join(root, 'big');
  writeTinyModel(big, 'llama', { seed: 2, sharded: true });
  // An extra shard, listed in the index, whose header declares 2^40 float32 parameters: only headers are read.
  const indexFile = path.join(big, 'model.safetensors.index.json');
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  index.weight_map['model.layers.9.mlp.up_proj.weight'] = 'model-extra.safetensors';
  fs.writeFileSync(indexFile, JSON.stringify(index));
  const header = Buffer.from(JSON.stringify({ 'model.layers.9.mlp.up_proj.weight': { dtype: 'F32', shape: [1048576, 1048576], data_offsets: [0, 4 * 2 ** 40] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(big, 'model-extra.safetensors'), Buffer.concat([len, header]));
  const est = estimateModelMemory(big);
  assert.ok(est.params > 2 ** 40);
  assert.throws(() => checkModelFits(big, 8 * 2 ** 30), (e: unknown) => e instanceof UserError && /needs about .* GiB of memory .* only 8\.0 GiB is free/.test(e.message));
  assert.doesNotThrow(() => checkModelFits(model, 8 * 2 ** 30));
  const f = file('ok2.jsonl', mcqRows(8));
  expectError(['optimize', '--model', big, '--task', f, ...SMALL], /big: the model has \d+\.\d+B parameters and needs about .* GiB of memory .*pass --skip-memory-check/);
});

test('unknown flags and settings', () => {
  expectError(['optimize', '--model', model, '--task', 'x.jsonl', '--topk', '3'], /unknown flag --topk/);
  expectError(['optimize', '--model', model, '--task', 'x.jsonl', '--top-k', '0'], /greater optimize: error: --top-k must be a positive integer, got 0$/);
});

test('eval and extractor-check name the flag the user typed in a settings error, not the config key', () => {
  expectError(['eval', '--model', model, '--task', 'x.jsonl', '--prompt', 'go', '--batch-size', '0'], /^greater eval: error: --batch-size must be a positive integer, got 0$/);
  expectError(['eval', '--model', model, '--task', 'x.jsonl', '--prompt', 'go', '--template', '{question} only'], /^greater eval: error: --template must contain \{control\} exactly once, found 0/);
  expectError(['extractor-check', '--model', model, '--task', 'x.jsonl', '--samples', '0'], /^greater extractor-check: error: --samples must be a positive integer, got 0$/);
  expectError(['extractor-check', '--model', model, '--task', 'x.jsonl', '--max-new-tokens', '0'], /^greater extractor-check: error: --max-new-tokens must be a positive integer, got 0$/);
});

test('optimize, eval and extractor-check with only one of --model / --task say which is missing, under their own name', () => {
  expectError(['optimize', '--model', model], /give both --model and --task \(or neither, for the built-in demo\); missing --task/);
  expectError(['eval', '--task', 'x.jsonl', '--prompt', 'p'], /greater eval: give both --model and --task .*missing --model/);
  expectError(['extractor-check', '--model', model], /greater extractor-check: give both --model and --task .*missing --task/);
});
