// How a prompt literal is written in its host language: quote style and flags, and the decoded parts.
// Types only; shared by the extension (which decodes and encodes) and the panel messages.

export type JsQuote = "'" | '"' | '`';
export type PyQuote = "'" | '"' | "'''" | '"""';

export type LiteralStyle =
  | { lang: 'js'; quote: JsQuote }
  /** prefix: the literal's flags in source order and case, e.g. "f", "rb", "Rf", "" */
  | { lang: 'py'; quote: PyQuote; prefix: string }
  /** prompt-file bodies and selections outside literals: written as is */
  | { lang: 'text' }
  /** a .prompty body: written as is; its role lines (`system:`, `user:`) decode as fixed verbatim parts */
  | { lang: 'prompty' };

/** Text is decoded characters; verbatim is source kept byte for byte (interpolations, `\N{...}`). */
export type Part = { kind: 'text'; text: string } | { kind: 'verbatim'; source: string };
