// Real weights end to end: convert stories260K with the CLI, generate 256 greedy tokens with the CLI, and
// compare token for token with a naive run.c-style reference on the original llama2.c checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { llama2cGreedy } from './helpers/llama2c-reference';

const root = path.resolve(__dirname, '../..');
const shared = path.resolve(root, '..', 'shared', 'models', 'stories260K');
const bin = path.join(root, 'bin', 'greater.js');
const have = fs.existsSync(path.join(shared, 'stories260K.bin'));
if (!have) console.log(`# skipping stories260K tests: ${shared} is absent`);

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `greater ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test('stories260K: greedy 256 tokens equal the run.c reference and begin with the known story', { skip: !have }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stories260k-'));
  try {
    cli(['convert', 'llama2c', '--checkpoint', path.join(shared, 'stories260K.bin'), '--tokenizer', path.join(shared, 'tok512.bin'), '--out', path.join(dir, 'm')]);
    const out = JSON.parse(cli(['generate', '--model', path.join(dir, 'm'), '--ids', '1', '--max-new-tokens', '256', '--json'])) as { ids: number[]; text: string };
    const ref = llama2cGreedy(path.join(shared, 'stories260K.bin'), [1], 256);
    assert.equal(out.ids.length, 256);
    assert.deepEqual(out.ids, ref);
    assert.ok(out.text.startsWith('Once upon a time, there was a little girl named Lily. She loved to play outside in the park.'), out.text.slice(0, 120));
    // plain-text mode prints the same continuation
    assert.equal(cli(['generate', '--model', path.join(dir, 'm'), '--ids', '1', '--max-new-tokens', '256']), out.text + '\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
