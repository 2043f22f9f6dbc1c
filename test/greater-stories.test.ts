// stories260K (converted from llama2.c) runs 3 optimisation steps end to end on a story-completion task the
// test makes. The model follows no instructions; this proves the plumbing (plain chat template, SentencePiece
// tokens with byte fallback, a 512-token context) and the run folder, not prompt quality.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertLlama2c } from '../src/engine/convert/llama2c';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const shared = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
const present = fs.existsSync(path.join(shared, 'stories260K.bin')) && fs.existsSync(path.join(shared, 'tok512.bin'));
if (!present) console.log(`# skipping the stories260K run: ${shared} is absent`);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-stories-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const STORIES: [string, string][] = [
  ['Once upon a time, there was a little girl named Lily. She liked to play with her', 'ball'],
  ['One day, Tom went to the park with his', 'mom'],
  ['The sun was shining and the birds were', 'singing'],
  ['Sara had a big red', 'ball'],
  ['The cat saw a little', 'bird'],
  ['Ben and Mia wanted to play in the', 'park'],
  ['The dog was very', 'happy'],
  ['Lily looked at the sky and saw a big', 'cloud'],
];

test('stories260K: 3 steps of greater optimize end to end, then resume is a no-op', { skip: !present }, () => {
  const model = path.join(root, 'stories260K');
  convertLlama2c({ checkpoint: path.join(shared, 'stories260K.bin'), tokenizer: path.join(shared, 'tok512.bin'), out: model });
  const task = path.join(root, 'stories.csv');
  fs.writeFileSync(task, 'question,answer\n' + STORIES.map(([q, a]) => `"${q}",${a}`).join('\n') + '\n');
  const out = path.join(root, 'run');
  const r = spawnSync(process.execPath, [bin, 'optimize', '--model', model, '--task', task, '--extractor', 'The next word is',
    '--prompt', 'a happy story.', '--steps', '3', '--train-size', '5', '--held-out', '3', '--max-new-tokens', '12', '--top-k', '8', '--top-q', '2',
    '--batch-size', '5', '--out', out, '--seed', '1', '--json-events'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; step?: number; prompt?: string; counts?: { generatedTokens: number } });
  const steps = events.filter((e) => e.kind === 'step');
  assert.deepEqual(steps.map((s) => s.step), [1, 2, 3]);
  assert.ok(steps.every((s) => s.counts!.generatedTokens > 0), 'every step generated reasoning');
  assert.equal(events[events.length - 1].kind, 'done');
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
  assert.equal(report.steps, 3);
  assert.equal(report.heldOut.initial.total, 3);
  assert.equal(report.task, 'stories');
  const ck = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint.json'), 'utf8'));
  assert.equal(ck.step, 3);
  // The optimised control is ids of the 512-token vocabulary, never a special token.
  assert.ok(ck.ctrl.every((id: number) => id > 2 && id < 512));
  for (const f of ['run.json', 'events.jsonl', 'best.json', 'report.md']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const again = spawnSync(process.execPath, [bin, 'optimize', '--resume', out, '--json-events'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout.split('\n').filter((l) => l.includes('"kind":"step"')).length, 0, 'a finished run has no steps left');
});
