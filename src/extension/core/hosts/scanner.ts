// What a host language's scanner finds (string literals and prompt-file bodies with exact source ranges) and
// the token memory the code scanners share: the last few tokens name the variable, key or function a literal
// is bound to, and a `greater-prompt` comment marks the next literal. Pure (no vscode).
import type { LiteralStyle } from '../../../shared/literalStyle';

export const MARKER = 'greater-prompt';

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

export type Tok = { kind: 'ident' | 'punct' | 'string' | 'number'; text: string };

/** A hand-written scanner over code: it needs no parser and never throws on odd code. */
export abstract class Scanner {
  protected i = 0;
  protected readonly literals: Literal[] = [];
  protected pendingMarker = false;
  /** last significant tokens, newest last */
  protected readonly toks: Tok[] = [];

  constructor(protected readonly s: string) {}

  abstract run(): Literal[];

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
