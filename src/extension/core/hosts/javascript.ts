// TypeScript / JavaScript: the scanner (quoted and template literals; comments and regexes skipped, imports
// and tagged templates ignorable), and the decoder / encoder of a literal's body for its quote style.
// Pure (no vscode).
import type { JsQuote, Part } from '../../../shared/literalStyle';
import { controlEscape, hexAt, LiteralError, matchInterpolation, pushText } from './parts';
import { Scanner, type Literal } from './scanner';

export function scanJs(text: string): Literal[] {
  return new JsScanner(text).run();
}

class JsScanner extends Scanner {
  run(): Literal[] {
    this.code(false);
    return this.literals;
  }

  /** Scans code; with `inTemplate`, stops after the `}` closing a `${`. */
  private code(inTemplate: boolean): void {
    const s = this.s;
    let depth = 0;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '\n' || c === ' ' || c === '\t' || c === '\r') { this.i++; continue; }
      if (c === '/' && s[this.i + 1] === '/') {
        const end = s.indexOf('\n', this.i);
        const stop = end < 0 ? s.length : end;
        this.comment(this.i, stop);
        this.i = stop;
      } else if (c === '/' && s[this.i + 1] === '*') {
        const end = s.indexOf('*/', this.i + 2);
        const stop = end < 0 ? s.length : end + 2;
        this.comment(this.i, stop);
        this.i = stop;
      } else if (c === '"' || c === "'") {
        this.quoted(c);
      } else if (c === '`') {
        this.template();
      } else if (c === '/' && this.regexAllowed()) {
        this.regex();
      } else if (/[A-Za-z_$]/.test(c)) {
        const m = /^[A-Za-z_$][\w$]*/.exec(s.slice(this.i, this.i + 200))!;
        this.push({ kind: 'ident', text: m[0] });
        this.i += m[0].length;
      } else if (/[0-9]/.test(c)) {
        const m = /^[0-9][\w.]*/.exec(s.slice(this.i, this.i + 100))!;
        this.push({ kind: 'number', text: m[0] });
        this.i += m[0].length;
      } else {
        if (c === '{') depth++;
        if (c === '}') {
          if (inTemplate && depth === 0) { this.i++; return; }
          depth--;
        }
        this.push({ kind: 'punct', text: c });
        this.i++;
      }
    }
  }

  private regexAllowed(): boolean {
    const p = this.prev();
    if (!p) return true;
    if (p.kind === 'number' || p.kind === 'string') return false;
    if (p.kind === 'ident') return /^(return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$/.test(p.text);
    return !(p.text === ')' || p.text === ']' || p.text === '}');
  }

  private regex(): void {
    const s = this.s;
    let j = this.i + 1, inClass = false;
    for (; j < s.length && s[j] !== '\n'; j++) {
      if (s[j] === '\\') { j++; continue; }
      if (s[j] === '[') inClass = true;
      else if (s[j] === ']') inClass = false;
      else if (s[j] === '/' && !inClass) break;
    }
    j++;
    while (j < s.length && /[a-z]/i.test(s[j])) j++;
    this.push({ kind: 'number', text: 'regex' }); // a value: a following '/' divides
    this.i = j;
  }

  private quoted(q: string): void {
    const s = this.s, start = this.i;
    let j = start + 1;
    while (j < s.length && s[j] !== q && s[j] !== '\n') j += s[j] === '\\' ? 2 : 1;
    if (j >= s.length || s[j] !== q) { this.i = j; return; } // unterminated: the user is typing
    const raw = s.slice(start + 1, j);
    const p = this.prev(), p2 = this.prev(2);
    const ignorable = (p?.text === 'from') || (p?.text === 'import') || (p?.text === '(' && p2?.text === 'require')
      || (p?.text === '(' && p2?.text === 'import') || /^use (strict|client|server)$/.test(raw);
    this.i = j + 1;
    this.add({ start, end: j + 1, contentStart: start + 1, contentEnd: j, style: { lang: 'js', quote: q as "'" | '"' }, ignorable }, raw);
  }

  private template(): void {
    const s = this.s, start = this.i;
    const marker = this.pendingMarker;
    const name = this.bindingName();
    const p = this.prev();
    const tagged = p?.kind === 'ident' && !/^(return|case|typeof|await|yield)$/.test(p.text); // e.g. sql`…`, html`…`
    this.pendingMarker = false;
    const slot = this.literals.length;
    this.literals.push(undefined as unknown as Literal); // keep document order: nested literals come after
    let j = start + 1;
    this.i = j;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === '\\') { this.i += 2; continue; }
      if (c === '`') break;
      if (c === '$' && s[this.i + 1] === '{') {
        this.i += 2;
        this.code(true);
        continue;
      }
      this.i++;
    }
    j = this.i;
    if (j >= s.length) { this.literals.splice(slot, 1); return; }
    this.i = j + 1;
    this.literals[slot] = {
      start, end: j + 1, contentStart: start + 1, contentEnd: j, style: { lang: 'js', quote: '`' },
      marker, ignorable: tagged, ...(name ? { name } : {}),
    };
    this.push({ kind: 'string', text: '' });
  }
}

const SIMPLE_JS: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };

export function decodeJs(src: string, quote: JsQuote): Part[] {
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

/** The source between the quotes. */
export function encodeJsBody(parts: readonly Part[], quote: JsQuote): string {
  return parts.map((p) => (p.kind === 'verbatim' ? p.source : encodeJsText(p.text, quote))).join('');
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
