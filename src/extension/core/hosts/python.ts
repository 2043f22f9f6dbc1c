// Python: the scanner (str, f-string, raw, bytes, triple-quoted; comments skipped, docstrings and bytes
// ignorable), and the decoder / encoder of a literal's body for its prefix and quote. Pure (no vscode).
import type { LiteralStyle, Part, PyQuote } from '../../../shared/literalStyle';
import { controlEscape, hexAt, LiteralError, matchInterpolation, pushText } from './parts';
import { Scanner, type Literal } from './scanner';

export type PyStyle = Extract<LiteralStyle, { lang: 'py' }>;

export function scanPy(text: string): Literal[] {
  return new PyScanner(text).run();
}

class PyScanner extends Scanner {
  private depth = 0;
  /** true at the start of a logical line at bracket depth 0 */
  private statementStart = true;

  run(): Literal[] {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '\n') {
        if (this.depth === 0) this.statementStart = true;
        this.i++;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\r' || c === '\\') { this.i++; continue; }
      if (c === '#') {
        const end = s.indexOf('\n', this.i);
        const stop = end < 0 ? s.length : end;
        this.comment(this.i, stop);
        this.i = stop;
        continue;
      }
      const atStatement = this.statementStart;
      this.statementStart = false;
      if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_]\w*/.exec(s.slice(this.i, this.i + 200))!;
        const after = s[this.i + m[0].length];
        if (/^(r|u|f|b|br|rb|fr|rf)$/i.test(m[0]) && (after === '"' || after === "'")) {
          this.string(this.i, m[0], atStatement);
        } else {
          this.push({ kind: 'ident', text: m[0] });
          this.i += m[0].length;
        }
      } else if (c === '"' || c === "'") {
        this.string(this.i, '', atStatement);
      } else if (/[0-9]/.test(c)) {
        const m = /^[0-9][\w.]*/.exec(s.slice(this.i, this.i + 100))!;
        this.push({ kind: 'number', text: m[0] });
        this.i += m[0].length;
      } else {
        if ('([{'.includes(c)) this.depth++;
        if (')]}'.includes(c)) this.depth = Math.max(0, this.depth - 1);
        this.push({ kind: 'punct', text: c });
        this.i++;
        if (c === ';' && this.depth === 0) this.statementStart = true;
      }
    }
    return this.literals;
  }

  private string(start: number, prefix: string, atStatement: boolean): void {
    const s = this.s;
    const q0 = s[start + prefix.length];
    const triple = s.startsWith(q0.repeat(3), start + prefix.length);
    const quote = (triple ? q0.repeat(3) : q0) as PyQuote;
    const f = /f/i.test(prefix);
    const contentStart = start + prefix.length + quote.length;
    let j = contentStart;
    while (j < s.length && !s.startsWith(quote, j)) {
      if (s[j] === '\\') { j += 2; continue; }
      if (!triple && s[j] === '\n') break;
      if (f && s[j] === '{' && s[j + 1] !== '{') {
        // interpolations may hold quotes of their own (Python 3.12)
        let depth = 1, k = j + 1;
        for (; k < s.length && depth > 0; k++) {
          if (s[k] === '{') depth++;
          else if (s[k] === '}') depth--;
          else if (s[k] === '\n' && !triple) break;
        }
        j = k;
        continue;
      }
      j += f && s[j] === '{' ? 2 : 1;
    }
    if (j >= s.length || !s.startsWith(quote, j)) { this.i = Math.max(j, start + 1); return; }
    const end = j + quote.length;
    this.i = end;
    // a string that is a whole statement is a docstring or a no-op, not a prompt
    const ignorable = /b/i.test(prefix) || (atStatement && this.depth === 0 && this.lineRestIsEmpty(end));
    this.add({ start, end, contentStart, contentEnd: j, style: { lang: 'py', quote, prefix }, ignorable }, s.slice(contentStart, j));
  }
}

export function pyFlags(style: LiteralStyle): { raw: boolean; f: boolean; bytes: boolean } {
  const p = style.lang === 'py' ? style.prefix.toLowerCase() : '';
  return { raw: p.includes('r'), f: p.includes('f'), bytes: p.includes('b') };
}

const SIMPLE_PY: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07' };

export function decodePy(src: string, style: PyStyle): Part[] {
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

/** The complete literal (prefix, quotes, body). */
export function encodePyLiteral(parts: readonly Part[], style: PyStyle): string {
  if (pyFlags(style).raw && !rawEncodable(parts, style.quote)) {
    // a raw string cannot hold this text: fall back to the same literal without the r flag
    return encodePyLiteral(parts, { ...style, prefix: style.prefix.replace(/[rR]/g, '') });
  }
  return style.prefix + style.quote + encodePyBody(parts, style) + style.quote;
}

function rawEncodable(parts: readonly Part[], quote: PyQuote): boolean {
  const texts = parts.filter((p): p is Extract<Part, { kind: 'text' }> => p.kind === 'text').map((p) => p.text);
  const all = texts.join('');
  // conservative: any quote char of this kind, a trailing backslash or (single-line) a newline needs escapes
  if (all.includes(quote[0]) || all.endsWith('\\')) return false;
  return quote.length === 3 || !/[\r\n]/.test(all);
}

/** The source between the quotes. */
export function encodePyBody(parts: readonly Part[], style: PyStyle): string {
  return parts.map((p, idx) => (p.kind === 'verbatim' ? p.source : encodePyText(p.text, style, idx === parts.length - 1))).join('');
}

function encodePyText(text: string, style: PyStyle, lastPart: boolean): string {
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
