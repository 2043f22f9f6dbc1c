// Reads a user-given text file defensively: it must be a regular file (not a FIFO that blocks forever or
// a device such as /dev/zero that never ends), no larger than a limit the caller can raise, and in a
// known encoding. UTF-8 (with or without BOM) and UTF-16 with a BOM are decoded; UTF-16 without a BOM and
// 8-bit encodings (Latin-1, Windows-1252) are refused by name rather than read as mojibake.
import * as fs from 'node:fs';
import { UserError } from '../../engine';

export const DEFAULT_MAX_INPUT_MB = 100;

export interface InputFileOptions {
  /** What the file is, for messages: "dataset". */
  what: string;
  /** Largest accepted size in MiB (default DEFAULT_MAX_INPUT_MB). */
  maxMb?: number;
  /** The flag that raises the limit, named in the message. */
  limitFlag?: string;
}

export interface InputText {
  text: string;
  /** The bytes as on disk (for hashing). */
  bytes: Buffer;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function readInputText(file: string, opts: InputFileOptions): InputText {
  const maxMb = opts.maxMb ?? DEFAULT_MAX_INPUT_MB;
  if (!(maxMb > 0)) throw new UserError(`the ${opts.what} size limit must be a positive number of MiB, got ${maxMb}`);
  let bytes: Buffer;
  try {
    const st = fs.statSync(file); // follows symlinks: a link to /dev/zero is judged by its target
    if (!st.isFile()) throw new UserError(`${file}: cannot read the ${opts.what}: it is ${kindOf(st)} (expected a regular file)`);
    if (st.size > maxMb * 2 ** 20) {
      throw new UserError(`${file}: the ${opts.what} is ${(st.size / 2 ** 20).toFixed(0)} MiB, over the ${maxMb} MiB limit` +
        (opts.limitFlag ? ` (raise it with ${opts.limitFlag} <MiB>)` : ''));
    }
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code ?? String(e);
    throw new UserError(`${file}: cannot read the ${opts.what} (${why})`);
  }
  return { text: decodeText(bytes, file, opts.what), bytes };
}

/** 1-based line of a byte offset. */
function lineAt(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

export function decodeText(bytes: Buffer, file: string, what: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  // UTF-16 text of mostly ASCII has a zero in every other byte; UTF-8 text has none.
  const sample = bytes.subarray(start, Math.min(bytes.length, start + 4096));
  let zeros = 0;
  for (const b of sample) if (b === 0) zeros++;
  if (sample.length >= 4 && zeros >= sample.length / 4) {
    throw new UserError(`${file}: the ${what} looks like UTF-16 without a byte-order mark; save it as UTF-8 (or UTF-16 with a BOM)`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    let bad = start;
    // Find the first byte that breaks UTF-8, to name its line.
    for (let i = start; i < bytes.length; ) {
      const b = bytes[i];
      const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
      let ok = n > 0 && i + n <= bytes.length;
      for (let k = 1; ok && k < n; k++) ok = (bytes[i + k] & 0xc0) === 0x80;
      if (!ok) { bad = i; break; }
      i += n;
    }
    throw new UserError(`${file}:${lineAt(bytes, bad)}: the ${what} is not UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} ` +
      `looks like Latin-1 or Windows-1252); save it as UTF-8`);
  }
}
