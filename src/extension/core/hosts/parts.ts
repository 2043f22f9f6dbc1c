// What every host language's decoder and encoder share: decoded parts (text and verbatim source), the error a
// malformed literal raises, and the interpolation matcher of brace-delimited templates. Pure (no vscode).
import type { Part } from '../../../shared/literalStyle';

export class LiteralError extends Error {}

/** What a reader sees: text as decoded, interpolations as written. */
export function displayValue(parts: readonly Part[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.source)).join('');
}

/** Appends text to the last text part (or a new one); empty text adds nothing. */
export function pushText(parts: Part[], text: string): void {
  if (!text) return;
  const last = parts[parts.length - 1];
  if (last && last.kind === 'text') last.text += text;
  else parts.push({ kind: 'text', text });
}

/** Merges neighbouring text parts, drops empty ones. */
export function normalizeParts(parts: readonly Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    if (p.kind === 'text') pushText(out, p.text);
    else out.push({ ...p });
  }
  return out;
}

/**
 * Index just past the `}` that closes an interpolation opened before `from` (depth 1), skipping nested
 * braces and quoted strings inside the expression. Returns -1 if unclosed.
 */
export function matchInterpolation(src: string, from: number, lang: 'js' | 'py'): number {
  let depth = 1;
  for (let i = from; i < src.length; i++) {
    const c = src[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth === 0) return i + 1;
    } else if (c === '"' || c === "'" || (c === '`' && lang === 'js')) {
      const triple = lang === 'py' && src.startsWith(c.repeat(3), i);
      const close = triple ? c.repeat(3) : c;
      let j = i + close.length;
      while (j < src.length && !src.startsWith(close, j)) j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) return -1;
      i = j + close.length - 1;
    }
  }
  return -1;
}

/** The `n` hex digits at `i` as a number (the digits of a `\x`, `\u`, … escape). */
export function hexAt(src: string, i: number, n: number, what: string): number {
  const h = src.slice(i, i + n);
  if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new LiteralError(`bad ${what} escape at offset ${i - 2}`);
  return parseInt(h, 16);
}

export function controlEscape(ch: string): string {
  return '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
}
