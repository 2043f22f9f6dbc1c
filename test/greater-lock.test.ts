// Run locks (src/greater/lock.ts): a live holder keeps the lock; a live holder whose parent is gone (the CLI's
// relaunched child or the VS Code worker after its launcher was killed) is waited for, not reported as busy.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { acquireLockFile, releaseLockFile } from '../src/greater/lock';

/** A process that is not our child (reparented, so reaped when it ends: a zombie child of ours would look alive). */
function sleeper(seconds: number): number {
  return Number(spawnSync('sh', ['-c', `sleep ${seconds} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).stdout.trim());
}

test('a live holder keeps the lock; an orphaned live holder is waited for and the lock then taken', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-lock-'));
  const file = path.join(dir, 'lock');
  try {
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const busy = sleeper(60);
    fs.writeFileSync(file, JSON.stringify({ pid: busy, parentPid: process.pid }));
    assert.deepEqual(acquireLockFile(file), { pid: busy, parentPid: process.pid });
    process.kill(busy, 'SIGKILL');
    fs.rmSync(file);

    const orphan = sleeper(0.7);
    fs.writeFileSync(file, JSON.stringify({ pid: orphan, parentPid: deadPid }));
    const t = Date.now();
    assert.equal(acquireLockFile(file), true);
    assert.ok(Date.now() - t >= 300, 'the lock was taken while its orphaned holder still ran');
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
    releaseLockFile(file);
    assert.equal(fs.existsSync(file), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
