// Every file of a run folder is written through here: a temp file beside the target, fsync, then rename, so a
// reader (or a resume after kill -9) sees the old file or the new one, never a torn one. OS errors name the file
// and say that nothing is lost. GREATER_FAULT=kill-write:N[:before|after] kills the process (SIGKILL) at the
// N-th write of this process, before or after its rename, and GREATER_FAULT=kill-append:N halfway through the N-th
// appended line: the crash-consistency test hits every write this way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../engine';

const TMP_MARK = '.tmp-';
const TMP_NAME = /\.tmp-\d+$/;
let writes = 0;
let appends = 0;

function faultPoint(phase: 'before' | 'after'): void {
  const spec = process.env.GREATER_FAULT;
  if (!spec) return;
  const m = /^kill-write:(\d+)(?::(before|after))?$/.exec(spec);
  if (m && Number(m[1]) === writes && (m[2] ?? 'before') === phase) process.kill(process.pid, 'SIGKILL');
}

/** One line for an OS error on a run file; `resumeDir` adds how to continue. */
export function fileError(e: unknown, file: string, action: string, resumeDir?: string): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOSPC: 'the disk is full', EDQUOT: 'the disk quota is used up', EROFS: 'the file system is read-only',
    EACCES: 'permission denied', EPERM: 'permission denied', ENOENT: 'its folder does not exist', EISDIR: 'it is a folder',
  };
  if (!code || !(code in why)) return e as Error;
  const hint = resumeDir ? `; the run so far is kept: free the cause, then 'greater optimize --resume ${resumeDir}' continues` : '';
  return new UserError(`${file}: cannot ${action}: ${why[code]} (${code})${hint}`);
}

export function writeFileAtomic(file: string, data: string, resumeDir?: string): void {
  writes++;
  const tmp = `${file}${TMP_MARK}${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    faultPoint('before');
    fs.renameSync(tmp, file);
    faultPoint('after');
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw fileError(e, file, 'write', resumeDir);
  }
}

export function writeJsonAtomic(file: string, value: unknown, resumeDir?: string): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n', resumeDir);
}

/** Temp files left in `dir` by a killed writer (any process). */
export function leftoverTemps(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => TMP_NAME.test(n)).map((n) => path.join(dir, n));
}

/** Appends one line. A kill can tear it (appends are not atomic): repairRunDir cuts a torn tail before a resume. */
export function appendLine(file: string, line: string, resumeDir?: string): void {
  appends++;
  const m = /^kill-append:(\d+)$/.exec(process.env.GREATER_FAULT ?? '');
  if (m && Number(m[1]) === appends) {
    fs.appendFileSync(file, line.slice(0, Math.ceil(line.length / 2)));
    process.kill(process.pid, 'SIGKILL');
  }
  try {
    fs.appendFileSync(file, line + '\n');
  } catch (e) {
    throw fileError(e, file, 'append to', resumeDir);
  }
}
