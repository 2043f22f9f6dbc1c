// Hostile or unusual input files and arguments: each is refused with one line naming the file (and line)
// and the cause, or accepted with a warning that names what was changed — never a hang, a crash or mojibake.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../src/engine';
import { loadDataset, loadTask, splitExamples } from '../src/greater/tasks';
import { makeConfig } from '../src/greater/config';
import { writeTinyModel } from './helpers/tiny-models';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-hostile-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const model = path.join(root, 'model');
before(() => writeTinyModel(model, 'llama', { seed: 2 }));
const bin = path.resolve(__dirname, '../../bin/greater.js');

function file(name: string, content: string | Buffer): string {
  const f = path.join(root, name);
  fs.writeFileSync(f, content);
  return f;
}
const rows = (qs: [string, string][]) => qs.map(([q, a]) => JSON.stringify({ question: q, answer: a })).join('\n') + '\n';

function throwsUser(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line expected: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a FIFO named .jsonl is refused at once instead of blocking forever', () => {
  const f = path.join(root, 'pipe.jsonl');
  const r = spawnSync('mkfifo', [f]);
  if (r.status !== 0) return; // mkfifo missing: nothing to test on this system
  throwsUser(() => loadDataset(f), /pipe\.jsonl: cannot read the dataset: it is a named pipe \(FIFO\) \(expected a regular file\)/);
});

test('a symlink to /dev/zero is judged by its target, not read until memory runs out', () => {
  if (!fs.existsSync('/dev/zero')) return;
  const f = path.join(root, 'zero.jsonl');
  fs.symlinkSync('/dev/zero', f);
  throwsUser(() => loadDataset(f), /zero\.jsonl: cannot read the dataset: it is a device/);
});

test('a folder or a missing file names the cause', () => {
  const d = path.join(root, 'folder.jsonl');
  fs.mkdirSync(d);
  throwsUser(() => loadDataset(d), /folder\.jsonl: cannot read the dataset: it is a folder/);
  throwsUser(() => loadDataset(path.join(root, 'absent.jsonl')), /absent\.jsonl: cannot read the dataset \(no such file\)/);
});

test('a file over the size limit is refused before it is read, and the limit can be raised', () => {
  const f = file('big.jsonl', Array.from({ length: 1100 }, (_, i) => JSON.stringify({ question: `${i} ` + 'q'.repeat(1000), answer: 'x' }) + '\n').join(''));
  throwsUser(() => loadDataset(f, { maxMb: 1 }), /big\.jsonl: the dataset is 1 MiB, over the 1 MiB limit \(raise it with --max-task-mb <MiB>\)/);
  assert.equal(loadDataset(f, { maxMb: 2 }).examples.length, 1100);
  throwsUser(() => loadDataset(f, { maxMb: 0 }), /size limit must be a positive number of MiB, got 0/);
});

test('UTF-16 with a byte-order mark is decoded; without one, and Latin-1, are named', () => {
  const text = rows([['Is a café a place?', 'Yes'], ['Is a stone alive?', 'No'], ['Can fish swim?', 'Yes']]);
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  assert.equal(loadDataset(file('le.jsonl', le)).examples[0].question, 'Is a café a place?');
  const beBody = Buffer.from(text, 'utf16le');
  for (let i = 0; i < beBody.length; i += 2) [beBody[i], beBody[i + 1]] = [beBody[i + 1], beBody[i]];
  assert.equal(loadDataset(file('be.jsonl', Buffer.concat([Buffer.from([0xfe, 0xff]), beBody]))).examples[0].question, 'Is a café a place?');
  throwsUser(() => loadDataset(file('nobom.jsonl', Buffer.from(text, 'utf16le'))), /nobom\.jsonl: the dataset looks like UTF-16 without a byte-order mark; save it as UTF-8/);
  const latin1 = Buffer.from(rows([['Is a stone alive?', 'No'], ['Is a café a place?', 'Yes']]), 'latin1');
  throwsUser(() => loadDataset(file('latin1.jsonl', latin1)), /latin1\.jsonl:2: the dataset is not UTF-8 \(byte 0xe9 looks like Latin-1 or Windows-1252\); save it as UTF-8/);
  // A UTF-8 BOM is still fine.
  assert.equal(loadDataset(file('bom.jsonl', '\uFEFF' + text)).examples.length, 3);
});

test('repeated questions are removed with a warning naming the lines, so train and held-out are disjoint', () => {
  const qs: [string, string][] = Array.from({ length: 12 }, (_, i) => [`Is ${i} even?`, i % 2 ? 'No' : 'Yes']);
  const withRepeats: [string, string][] = [...qs, ['Is  3 even?', 'No'], ['Is 5 even?', 'No']];
  const t = loadTask(file('rep.jsonl', rows(withRepeats)), { extractor: { preset: 'auto' } });
  assert.equal(t.examples.length, 12);
  assert.deepEqual(t.examples.map((e) => e.line), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.ok(t.warnings.some((w) => /rep\.jsonl: removed 2 repeated questions .*line 13 repeats line 4, line 14 repeats line 6/.test(w)), t.warnings.join('\n'));
  for (const seed of [0, 1, 2, 3]) {
    const { train, heldOut } = splitExamples(t.examples, { seed, nTrain: 6 });
    const trainQ = new Set(train.map((e) => e.question.replace(/\s+/g, ' ')));
    assert.ok(heldOut.every((e) => !trainQ.has(e.question.replace(/\s+/g, ' '))), `seed ${seed}: a held-out question is also a training question`);
  }
});

test('a question asked twice with different answers drops both rows and says which', () => {
  const qs: [string, string][] = [['Is the sky green?', 'No'], ['Is snow cold?', 'Yes'], ['Is the sky green?', 'Yes'], ['Is fire hot?', 'Yes']];
  const t = loadTask(file('conflict.jsonl', rows(qs)), { extractor: { preset: 'auto' } });
  assert.deepEqual(t.examples.map((e) => e.line), [2, 4]);
  assert.ok(t.warnings.some((w) => /conflict\.jsonl: dropped 2 rows: 1 question asked more than once with different answers, lines 1 and 3 \("No" vs "Yes"\)/.test(w)), t.warnings.join('\n'));
});

test('a prompt of invisible characters and absurd step counts are settings errors', () => {
  assert.throws(() => makeConfig({ initialPrompt: '\u200B\u200B \u2060' }), /initial prompt has no visible text/);
  assert.doesNotThrow(() => makeConfig({ initialPrompt: '考虑' }));
  assert.throws(() => makeConfig({ steps: 1e9 }), /steps must be at most 100000, got 1000000000/);
});

function expectCliError(args: string[], pattern: RegExp): void {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 1, `expected exit 1, got ${r.status}; stderr ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
}

test('CLI: an empty number, a non-boolean switch value and a mistyped preset are refused', () => {
  expectCliError(['optimize', '--seed='], /--seed expects a number, got ''/);
  expectCliError(['optimize', '--halving=yes'], /--halving is a switch; give it alone, or as --halving=true \/ --halving=false/);
  const task = file('nav.jsonl', rows(Array.from({ length: 6 }, (_, i) => [`Walk ${i} steps. Back home?`, i % 2 ? 'No' : 'Yes'] as [string, string])));
  expectCliError(['extractor-check', '--model', model, '--task', task, '--extractor', 'navigte'], /unknown extractor preset 'navigte'; did you mean 'navigate'\? \(for custom extractor text use --extractor-text\)/);
  expectCliError(['extractor-check', '--model', model, '--task', task, '--extractor', 'navigate', '--extractor-text', 'So the answer is $'], /give --extractor or --extractor-text, not both/);
});
