// String literals of the host languages as data: decode the source between the quotes into parts (text and
// verbatim source such as `${x}` / f-string `{x}`), and encode parts back for a given language and quote
// style. Encoding escapes only what the style needs, so an unchanged prompt re-encodes to its own source.
// Pure (no vscode): unit-tested in test/extension-literal.test.ts.

import type { JsQuote, LiteralStyle, Part, PyQuote } from '../../shared/literalStyle';

export type { JsQuote, LiteralStyle, Part, PyQuote };

export class LiteralError extends Error {}

export function pyFlags(style: LiteralStyle): { raw: boolean; f: boolean; bytes: boolean } {
  const p = style.lang === 'py' ? style.prefix.toLowerCase() : '';
  return { raw: p.includes('r'), f: p.includes('f'), bytes: p.includes('b') };
}

/** What a reader sees: text as decoded, interpolations as written. */
export function displayValue(parts: readonly Part[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.source)).join('');
}

function pushText(parts: Part[], text: string): void {
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

const SIMPLE_JS: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
const SIMPLE_PY: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07' };

function hexAt(src: string, i: number, n: number, what: string): number {
  const h = src.slice(i, i + n);
  if (h.length !== n || !/^[0-9a-fA-F]+$/.test(h)) throw new LiteralError(`bad ${what} escape at offset ${i - 2}`);
  return parseInt(h, 16);
}

/** Decodes the source between the quotes (prefix and quotes excluded). */
export function decode(src: string, style: LiteralStyle): Part[] {
  if (style.lang === 'text') return src ? [{ kind: 'text', text: src }] : [];
  return style.lang === 'js' ? decodeJs(src, style.quote) : decodePy(src, style);
}

function decodeJs(src: string, quote: JsQuote): Part[] {
  const parts: Part[] = [];
  let buf = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (quote === '`' && c === '$' && src[i + 1] === '{') {
      const end = matchInterpolation(src, i + 2, 'js');
      if (end < 0) throw new LiteralError(`unclosed \${ at offset ${i}`);
      pushText(parts, buf);
      buf = '';
      parts.push({ kind: 'verbatim', source: src.slice(i, end) });
      i = end;
    } else if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new LiteralError('the literal ends in a lone backslash');
      if (e in SIMPLE_JS && !(e === '0' && /[0-9]/.test(src[i + 2] ?? ''))) { buf += SIMPLE_JS[e]; i += 2; }
      else if (e === 'x') { buf += String.fromCharCode(hexAt(src, i + 2, 2, '\\x')); i += 4; }
      else if (e === 'u' && src[i + 2] === '{') {
        const close = src.indexOf('}', i + 3);
        if (close < 0) throw new LiteralError(`bad \\u{ escape at offset ${i}`);
        buf += String.fromCodePoint(hexAt(src, i + 3, close - i - 3, '\\u{}'));
        i = close + 1;
      } else if (e === 'u') { buf += String.fromCharCode(hexAt(src, i + 2, 4, '\\u')); i += 6; }
      else if (e === '\r' && src[i + 2] === '\n') i += 3; // line continuation
      else if (e === '\n' || e === '\r' || e === '\u2028' || e === '\u2029') i += 2;
      else { buf += e; i += 2; } // \' \" \\ \` \$ and identity escapes
    } else {
      // a template literal turns CRLF in its source into LF
      if (quote === '`' && c === '\r') { buf += '\n'; i += src[i + 1] === '\n' ? 2 : 1; continue; }
      buf += c;
      i++;
    }
  }
  pushText(parts, buf);
  return parts;
}

function decodePy(src: string, style: Extract<LiteralStyle, { lang: 'py' }>): Part[] {
  const { raw, f } = pyFlags(style);
  const parts: Part[] = [];
  let buf = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (f && c === '{') {
      if (src[i + 1] === '{') { buf += '{'; i += 2; continue; }
      const end = matchInterpolation(src, i + 1, 'py');
      if (end < 0) throw new LiteralError(`unclosed { in f-string at offset ${i}`);
      pushText(parts, buf);
      buf = '';
      parts.push({ kind: 'verbatim', source: src.slice(i, end) });
      i = end;
    } else if (f && c === '}') {
      if (src[i + 1] !== '}') throw new LiteralError(`single } in f-string at offset ${i}`);
      buf += '}';
      i += 2;
    } else if (c === '\\' && raw) {
      // raw strings keep the backslash; it only stops the next quote from closing the literal
      buf += src.slice(i, i + 2);
      i += 2;
    } else if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) throw new LiteralError('the literal ends in a lone backslash');
      if (e in SIMPLE_PY) { buf += SIMPLE_PY[e]; i += 2; }
      else if (e === '\n') i += 2;
      else if (e === '\r') i += src[i + 2] === '\n' ? 3 : 2;
      else if (e === 'x') { buf += String.fromCharCode(hexAt(src, i + 2, 2, '\\x')); i += 4; }
      else if (e === 'u') { buf += String.fromCharCode(hexAt(src, i + 2, 4, '\\u')); i += 6; }
      else if (e === 'U') { buf += String.fromCodePoint(hexAt(src, i + 2, 8, '\\U')); i += 10; }
      else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
        buf += String.fromCharCode(parseInt(m, 8));
        i += 1 + m.length;
      } else if (e === 'N' && src[i + 2] === '{') {
        // named characters need Python's Unicode name table: keep the escape as written
        const close = src.indexOf('}', i);
        if (close < 0) throw new LiteralError(`bad \\N{ escape at offset ${i}`);
        pushText(parts, buf);
        buf = '';
        parts.push({ kind: 'verbatim', source: src.slice(i, close + 1) });
        i = close + 1;
      } else if (e === '\\' || e === "'" || e === '"') { buf += e; i += 2; }
      else { buf += '\\' + e; i += 2; } // Python keeps unknown escapes as written
    } else {
      buf += c;
      i++;
    }
  }
  pushText(parts, buf);
  return parts;
}

/** The complete literal (prefix, quotes, body) for these parts in this style. */
export function encodeLiteral(parts: readonly Part[], style: LiteralStyle): string {
  if (style.lang === 'text') return displayValue(parts);
  if (style.lang === 'js') return style.quote + encodeBody(parts, style) + style.quote;
  const flags = pyFlags(style);
  if (flags.raw && !rawEncodable(parts, style.quote)) {
    // a raw string cannot hold this text: fall back to the same literal without the r flag
    const prefix = style.prefix.replace(/[rR]/g, '');
    return encodeLiteral(parts, { ...style, prefix });
  }
  return style.prefix + style.quote + encodeBody(parts, style) + style.quote;
}

function rawEncodable(parts: readonly Part[], quote: PyQuote): boolean {
  const texts = parts.filter((p): p is Extract<Part, { kind: 'text' }> => p.kind === 'text').map((p) => p.text);
  const all = texts.join('');
  // conservative: any quote char of this kind, a trailing backslash or (single-line) a newline needs escapes
  if (all.includes(quote[0]) || all.endsWith('\\')) return false;
  return quote.length === 3 || !/[\r\n]/.test(all);
}

/** The source between the quotes. */
export function encodeBody(parts: readonly Part[], style: LiteralStyle): string {
  if (style.lang === 'text') return displayValue(parts);
  let out = '';
  parts.forEach((p, idx) => {
    if (p.kind === 'verbatim') { out += p.source; return; }
    const atEnd = idx === parts.length - 1;
    out += style.lang === 'js' ? encodeJsText(p.text, style.quote) : encodePyText(p.text, style, atEnd);
  });
  return out;
}

function controlEscape(ch: string): string {
  return '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
}

function encodeJsText(text: string, quote: JsQuote): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') out += '\\\\';
    else if (c === quote) out += '\\' + c;
    else if (quote === '`' && c === '$' && text[i + 1] === '{') out += '\\$';
    else if (c === '\n') out += quote === '`' ? '\n' : '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += quote === '`' ? '\t' : '\\t';
    else if (c === '\u2028' || c === '\u2029') out += '\\u' + c.charCodeAt(0).toString(16);
    else if (c === '\0') out += /[0-9]/.test(text[i + 1] ?? '') ? '\\x00' : '\\0';
    else if (c < ' ' || c === '\x7f') out += controlEscape(c);
    else out += c;
  }
  return out;
}

function encodePyText(text: string, style: Extract<LiteralStyle, { lang: 'py' }>, lastPart: boolean): string {
  const { raw, f } = pyFlags(style);
  const triple = style.quote.length === 3, q = style.quote[0];
  if (raw) {
    // checked encodable by rawEncodable; only f-string braces need doubling
    return f ? text.replace(/[{}]/g, (b) => b + b) : text;
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') out += '\\\\';
    else if (c === q) {
      // in triple quotes a quote needs escaping only where it could close the literal
      // in triple quotes only a quote that starts a run, or ends the literal, could close it early
      const risky = text[i + 1] === q || (lastPart && i === text.length - 1);
      out += !triple || risky ? '\\' + c : c;
    } else if (f && (c === '{' || c === '}')) out += c + c;
    else if (c === '\n') out += triple ? '\n' : '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += triple ? '\t' : '\\t';
    else if (c < ' ' || c === '\x7f') out += controlEscape(c);
    else out += c;
  }
  return out;
}
