// JSON task files: JSON Lines (one object per line), a JSON array of objects, or an object holding such
// an array under "examples" (upstream BIG-Bench-Hard's own format). Values are parsed by JSON.parse;
// a small skip-scanner only finds where each array element starts, so every row keeps its line number.
import { UserError } from '../../engine';

export interface JsonRow {
  value: unknown;
  /** 1-based line where the row starts. */
  line: number;
}

/** Containers we look into when the file's top level is an object, in order. */
const ARRAY_KEYS = ['examples', 'data'];

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < offset; k = text.indexOf('\n', k + 1)) line++;
  return line;
}

/** Turns V8's "… at position N" into a line number when the message has one. */
function describeJsonError(e: unknown, text: string): { line: number | null; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  return { line: m ? lineAt(text, Number(m[1])) : null, message };
}

export function parseJsonLines(text: string, file: string): JsonRow[] {
  const rows: JsonRow[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    if (lines[k].trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[k]);
    } catch (e) {
      throw new UserError(`${file}:${k + 1}: not valid JSON (expected one JSON object per line): ${describeJsonError(e, lines[k]).message}`);
    }
    rows.push({ value, line: k + 1 });
  }
  return rows;
}

// --- skip-scanner over text already validated by JSON.parse -------------------------------------------

function skipWs(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
  return i;
}

function skipString(s: string, i: number): number { // s[i] === '"'
  for (i++; s[i] !== '"'; i++) if (s[i] === '\\') i++;
  return i + 1;
}

function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (; i < s.length; i++) {
      const d = s[i];
      if (d === '"') { i = skipString(s, i) - 1; continue; }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') { depth--; if (depth === 0) return i + 1; }
    }
    return i;
  }
  while (i < s.length && !',]} \t\n\r'.includes(s[i])) i++; // number, true, false, null
  return i;
}

/** Start offsets of the elements of the array beginning at s[i] === '['. */
function elementOffsets(s: string, i: number): number[] {
  const out: number[] = [];
  i = skipWs(s, i + 1);
  if (s[i] === ']') return out;
  for (;;) {
    out.push(i);
    i = skipWs(s, skipValue(s, i));
    if (s[i] !== ',') return out;
    i = skipWs(s, i + 1);
  }
}

/** Offset of the value stored under `key` in the object beginning at s[i] === '{', or -1. */
function memberOffset(s: string, i: number, key: string): number {
  i = skipWs(s, i + 1);
  while (s[i] === '"') {
    const end = skipString(s, i);
    const name = JSON.parse(s.slice(i, end)) as string;
    i = skipWs(s, skipWs(s, end) + 1); // past ':'
    if (name === key) return i;
    i = skipWs(s, skipValue(s, i));
    if (s[i] !== ',') break;
    i = skipWs(s, i + 1);
  }
  return -1;
}

/** A whole-file JSON document: an array of rows, or an object with an "examples" (or "data") array. */
export function parseJsonDocument(text: string, file: string): JsonRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const { line, message } = describeJsonError(e, text);
    throw new UserError(`${file}${line ? `:${line}` : ''}: not valid JSON (expected an array of objects): ${message}`);
  }
  const top = skipWs(text, 0);
  let values: unknown[];
  let at: number;
  if (Array.isArray(doc)) {
    values = doc;
    at = top;
  } else {
    const key = doc !== null && typeof doc === 'object'
      ? ARRAY_KEYS.find((k) => Array.isArray((doc as Record<string, unknown>)[k]))
      : undefined;
    if (key === undefined) {
      throw new UserError(`${file}: expected a JSON array of objects, or an object with an "examples" array; ` +
        `got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}` +
        (doc !== null && typeof doc === 'object' ? ` with keys ${Object.keys(doc).join(', ') || '(none)'}` : ''));
    }
    values = (doc as Record<string, unknown[]>)[key];
    // JSON.parse keeps the last of duplicate keys; the scanner finds the first. Duplicates are rare
    // enough that a line number off by that is acceptable.
    at = memberOffset(text, top, key);
  }
  const offsets = at >= 0 ? elementOffsets(text, at) : [];
  // Line numbers by one forward walk over the offsets (they are increasing).
  const rows: JsonRow[] = [];
  let line = 1;
  let pos = 0;
  for (let k = 0; k < values.length; k++) {
    const off = offsets[k] ?? pos;
    for (let j = text.indexOf('\n', pos); j >= 0 && j < off; j = text.indexOf('\n', j + 1)) line++;
    pos = Math.max(pos, off);
    rows.push({ value: values[k], line });
  }
  return rows;
}
