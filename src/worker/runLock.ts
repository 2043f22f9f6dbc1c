// One run at a time per workspace: an exclusive lock file in the runs folder, held by the worker process
// that owns the active run. A lock left by a dead process (kill -9, crash) is stale and taken over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireLockFile, isAlive, readLockFile, releaseLockFile, updateLockFile } from '../greater/lock';
import { ACTIVE_LOCK_FILE, type ActiveLock } from './protocol';

export { isAlive };

export function readLock(runsDir: string): ActiveLock | undefined {
  return readLockFile(path.join(runsDir, ACTIVE_LOCK_FILE)) as ActiveLock | undefined;
}

export class RunLock {
  private constructor(private readonly file: string) {}

  /** Takes the lock or returns the live holder. */
  static acquire(runsDir: string): RunLock | { heldBy: ActiveLock } {
    fs.mkdirSync(runsDir, { recursive: true });
    const file = path.join(runsDir, ACTIVE_LOCK_FILE);
    const got = acquireLockFile(file);
    return got === true ? new RunLock(file) : { heldBy: got as ActiveLock };
  }

  /** Records which run holds the lock once the optimizer has named it. */
  update(info: { runId: string; runDir: string }): void {
    updateLockFile(this.file, info);
  }

  release(): void {
    releaseLockFile(this.file);
  }
}
