// The CLI's contract for bad input: one line on stderr, a non-zero exit, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const bin = path.resolve(__dirname, '../../bin/greater.js');

test('unknown command exits non-zero with one line naming the known commands', () => {
  const r = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /unknown command 'no-such-command'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
