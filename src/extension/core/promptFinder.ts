// Finds the prompts in a document with their exact source ranges: string literals in TS/JS (quoted and
// template) and Python (str, f-string, triple-quoted) that look like prompts or follow a `greater-prompt`
// marker comment, and the body of prompt files (.prompty, .md, .txt). A small hand-written scanner per
// language skips comments, regexes and docstrings; it needs no parser and never throws on odd code.
// Pure (no vscode).
import { decode, displayValue, LiteralError, type LiteralStyle, type Part, type PyQuote } from './literal';

export const MARKER = 'greater-prompt';

export type HostLanguage = 'js' | 'py' | 'text';

const LANGUAGE_IDS: Record<string, HostLanguage> = {
  typescript: 'js', javascript: 'js', typescriptreact: 'js', javascriptreact: 'js',
  python: 'py', markdown: 'text', plaintext: 'text', prompty: 'text',
};

/** VS Code language ids the finder understands (the CodeLens selector). */
export const SUPPORTED_LANGUAGE_IDS = Object.keys(LANGUAGE_IDS);

export function hostLanguage(languageId: string, fileName = ''): HostLanguage | undefined {
  if (/\.prompty$/i.test(fileName)) return 'text';
  return LANGUAGE_IDS[languageId];
}

/** One string literal (or prompt-file body) found in the source. */
export interface Literal {
  /** whole literal, prefix and quotes included: what a replacement overwrites */
  start: number;
  end: number;
  /** the source between the quotes */
  contentStart: number;
  contentEnd: number;
  style: LiteralStyle;
  /** variable, key or function the literal is assigned / passed to, if any */
  name?: string;
  /** preceded by a `greater-prompt` marker comment */
  marker: boolean;
  /** import specifiers, docstrings, directives: never prompts */
  ignorable: boolean;
}

export interface PromptSite extends Literal {
  parts: Part[];
  value: string;
}

// ------------------------------------------------------------------------------------------------
// Prompt-likeness

const PROMPT_NAME = /prompt|instruction|system|template|persona|preamble|message|question|query|task/i;

export function looksLikePrompt(value: string, name: string | undefined): boolean {
  const v = value.trim();
  if (v.length < 8) return false;
  if (/^[a-z][a-z0-9+.-]*:\/\/\S*$/i.test(v) || /^(select|insert|update|delete|create)\s/i.test(v) || /^</.test(v)) return false;
  const words = v.match(/[A-Za-z]{2,}/g)?.length ?? 0;
  if (name && PROMPT_NAME.test(name)) return words >= 2;
  const prose = v.replace(/[^A-Za-z\s.,;:!?'"()\-{}$]/g, '').length / v.length;
  return v.length >= 30 && words >= 5 && prose >= 0.8;
}

/** The prompts of a document: literals that look like prompts or carry the marker. */
export function findPrompts(text: string, languageId: string, fileName = ''): PromptSite[] {
  const lang = hostLanguage(languageId, fileName);
  if (!lang) return [];
  const out: PromptSite[] = [];
  for (const lit of findLiterals(text, lang, fileName)) {
    if (lit.ignorable && !lit.marker) continue;
    const site = toSite(text, lit);
    if (site && (lit.marker || lang === 'text' || looksLikePrompt(site.value, lit.name))) out.push(site);
  }
  return out;
}

/** Decodes a literal; undefined when its source is malformed (the user is mid-edit). */
export function toSite(text: string, lit: Literal): PromptSite | undefined {
  try {
    const parts = decode(text.slice(lit.contentStart, lit.contentEnd), lit.style);
    return { ...lit, parts, value: displayValue(parts) };
  } catch (e) {
    if (e instanceof LiteralError) return undefined;
    throw e;
  }
}

/** All literals, prompt-like or not (for "Optimize selection"). */
export function findLiterals(text: string, lang: HostLanguage, fileName = ''): Literal[] {
  if (lang === 'js') return new JsScanner(text).run();
  if (lang === 'py') return new PyScanner(text).run();
  return promptFileBody(text, fileName);
}

// ------------------------------------------------------------------------------------------------
// Prompt files

function promptFileBody(text: string, fileName: string): Literal[] {
  let start = 0;
  let marker = false;
  if (/\.prompty$/i.test(fileName)) {
    // YAML front matter between two `---` lines, then the prompt
    const m = /^---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/.exec(text);
    if (m) start = m[0].length;
  } else {
    const m = new RegExp(`^.*${MARKER}.*(\\r?\\n|$)`, 'm').exec(text);
    if (m) {
      start = m.index + m[0].length;
      marker = true;
    } else if (!/prompt/i.test(fileName.split(/[\\/]/).pop() ?? '')) {
      return []; // a README is not a prompt: only files named *prompt* or marked
    }
  }
  while (start < text.length && /[\r\n]/.test(text[start])) start++;
  let end = text.length;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end <= start) return [];
  return [{ start, end, contentStart: start, contentEnd: end, style: { lang: 'text' }, marker, ignorable: false }];
}

// ------------------------------------------------------------------------------------------------
// Scanners

type Tok = { kind: 'ident' | 'punct' | 'string' | 'number'; text: string };

abstract class Scanner {
  protected i = 0;
  protected readonly literals: Literal[] = [];
  protected pendingMarker = false;
  /** last significant tokens, newest last */
  protected readonly toks: Tok[] = [];

  constructor(protected readonly s: string) {}

  protected push(t: Tok): void {
    this.toks.push(t);
    if (this.toks.length > 4) this.toks.shift();
  }

  protected prev(n = 1): Tok | undefined {
    return this.toks[this.toks.length - n];
  }

  protected comment(from: number, to: number): void {
    if (this.s.slice(from, to).includes(MARKER)) this.pendingMarker = true;
  }

  /** The name a literal is bound to: `x = "…"`, `x: "…"`, `"x": "…"`, `f("…")`, `f(x, "…")` → x / f. */
  protected bindingName(): string | undefined {
    const p = this.prev(), q = this.prev(2);
    if (!p) return undefined;
    if ((p.text === '=' || p.text === ':' || p.text === '(') && q && (q.kind === 'ident' || q.kind === 'string')) return q.text;
    return undefined;
  }

  protected add(lit: Omit<Literal, 'marker' | 'name'>, value?: string): void {
    const name = this.bindingName();
    this.literals.push({ ...lit, marker: this.pendingMarker, ...(name ? { name } : {}) });
    this.pendingMarker = false;
    this.push({ kind: 'string', text: value ?? '' });
  }

  protected lineRestIsEmpty(from: number): boolean {
    const m = /^[ \t]*(;[ \t]*)?(\/\/.*|#.*)?(\r?\n|$)/.exec(this.s.slice(from, from + 400));
    return !!m;
  }
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
