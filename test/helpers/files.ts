// Small shared test helpers: temporary input files (removed at exit) and the UserError contract.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/engine';

/** A writer of files under one temporary folder; `rel` may contain sub-folders. */
export function tempFiles(prefix: string): (rel: string, content: string) => string {
  let dir: string | undefined;
  process.on('exit', () => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
  return (rel, content) => {
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  };
}

/** `fn` throws a one-line UserError whose message matches every pattern. */
export function throwsUser(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one-line message');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}
