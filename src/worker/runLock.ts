// One run at a time per workspace: an exclusive lock file in the runs folder, held by the worker process
// that owns the active run. A lock left by a dead process (kill -9, crash) is stale and taken over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIVE_LOCK_FILE, type ActiveLock } from './protocol';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

export function readLock(runsDir: string): ActiveLock | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(runsDir, ACTIVE_LOCK_FILE), 'utf8')) as ActiveLock;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

export class RunLock {
  private constructor(private readonly file: string) {}

  /** Takes the lock or returns the live holder. */
  static acquire(runsDir: string): RunLock | { heldBy: ActiveLock } {
    fs.mkdirSync(runsDir, { recursive: true });
    const file = path.join(runsDir, ACTIVE_LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify({ pid: process.pid } satisfies ActiveLock), { flag: 'wx' });
        return new RunLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = readLock(runsDir);
        if (holder && holder.pid !== process.pid && isAlive(holder.pid)) return { heldBy: holder };
        fs.rmSync(file, { force: true }); // stale (dead owner, unreadable, or our own leftover)
      }
    }
    throw new Error(`could not take the run lock ${file}`);
  }

  /** Records which run holds the lock once the optimizer has named it. */
  update(info: { runId: string; runDir: string }): void {
    fs.writeFileSync(this.file, JSON.stringify({ pid: process.pid, ...info } satisfies ActiveLock));
  }

  release(): void {
    const held = readLock(path.dirname(this.file));
    if (held && held.pid === process.pid) fs.rmSync(this.file, { force: true });
  }
}
