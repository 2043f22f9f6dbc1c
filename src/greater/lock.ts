// Exclusive lock files held by a live process: the run folder's own lock (one driver per run: the CLI or the
// VS Code worker) and the worker's per-workspace lock. The file appears with its content in one step (written
// aside, then hard-linked into place), so a reader never sees an empty lock and mistakes it for a stale one.
import * as fs from 'node:fs';

export interface LockHolder {
  pid: number;
  [key: string]: unknown;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

export function readLockFile(file: string): LockHolder | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function linkInPlace(file: string, holder: LockHolder): boolean {
  const aside = `${file}.${process.pid}.new`;
  fs.writeFileSync(aside, JSON.stringify(holder));
  try {
    fs.linkSync(aside, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/** Takes the lock (true) or returns its live holder. A lock whose process is gone is taken over. */
export function acquireLockFile(file: string, info: Record<string, unknown> = {}): true | LockHolder {
  const me: LockHolder = { ...info, pid: process.pid, parentPid: process.ppid };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (linkInPlace(file, me)) {
      // Two processes taking over the same stale lock: the later removal may have hit the earlier's new lock.
      if (readLockFile(file)?.pid === process.pid) return true;
      continue;
    }
    const holder = readLockFile(file);
    if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
      if (!orphanGone(holder)) return holder;
      continue;
    }
    // Stale: move it aside first, so only one taker removes it.
    const stale = `${file}.${process.pid}.stale`;
    try {
      fs.renameSync(file, stale);
    } catch {
      continue; // someone else moved it first
    }
    // Between our read and the move, another taker may have replaced the stale lock with a live one: put it back.
    const moved = readLockFile(stale);
    if (moved && moved.pid !== process.pid && isAlive(moved.pid)) {
      try { fs.linkSync(stale, file); } catch { /* a third process got in: the next attempt sees it */ }
      fs.rmSync(stale, { force: true });
      return moved;
    }
    fs.rmSync(stale, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}

const ORPHAN_WAIT_MS = 10_000;

/**
 * A live holder whose parent is gone is on its way out: the CLI's relaunched child and the VS Code worker end when
 * their launcher does, though not in the same instant (a kill -9 of `greater`, then an immediate --resume). Waits
 * for such a holder to exit (true) rather than calling the run busy; false for a holder with a live parent.
 */
function orphanGone(holder: LockHolder): boolean {
  const parent = holder.parentPid;
  if (typeof parent !== 'number' || parent <= 1 || isAlive(parent)) return false;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ORPHAN_WAIT_MS;
  while (isAlive(holder.pid) && Date.now() < until) Atomics.wait(nap, 0, 0, 25);
  return !isAlive(holder.pid);
}

export function updateLockFile(file: string, info: Record<string, unknown>): void {
  fs.writeFileSync(`${file}.${process.pid}.new`, JSON.stringify({ ...info, pid: process.pid, parentPid: process.ppid }));
  fs.renameSync(`${file}.${process.pid}.new`, file);
}

export function releaseLockFile(file: string): void {
  if (readLockFile(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}
