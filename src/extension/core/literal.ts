// String literals of the host languages as data: decode the source between the quotes into parts (text and
// verbatim source such as `${x}` / f-string `{x}`), and encode parts back for a given language and quote
// style. Encoding escapes only what the style needs, so an unchanged prompt re-encodes to its own source.
// Each language's rules live in its own module under hosts/; this file picks one by the literal's style.
// Pure (no vscode): unit-tested in test/extension-prompts.test.ts.
import type { JsQuote, LiteralStyle, Part, PyQuote } from '../../shared/literalStyle';
import { decodeJs, encodeJsBody } from './hosts/javascript';
import { decodePromptFile, encodePromptFile } from './hosts/promptFile';
import { decodePy, encodePyBody, encodePyLiteral, pyFlags } from './hosts/python';

export type { JsQuote, LiteralStyle, Part, PyQuote };
export { displayValue, LiteralError, normalizeParts } from './hosts/parts';
export { pyFlags };

/** Decodes the source between the quotes (prefix and quotes excluded). */
export function decode(src: string, style: LiteralStyle): Part[] {
  switch (style.lang) {
    case 'js': return decodeJs(src, style.quote);
    case 'py': return decodePy(src, style);
    default: return decodePromptFile(src, style);
  }
}

/** The complete literal (prefix, quotes, body) for these parts in this style. */
export function encodeLiteral(parts: readonly Part[], style: LiteralStyle): string {
  switch (style.lang) {
    case 'js': return style.quote + encodeJsBody(parts, style.quote) + style.quote;
    case 'py': return encodePyLiteral(parts, style);
    default: return encodePromptFile(parts);
  }
}

/** The source between the quotes. */
export function encodeBody(parts: readonly Part[], style: LiteralStyle): string {
  switch (style.lang) {
    case 'js': return encodeJsBody(parts, style.quote);
    case 'py': return encodePyBody(parts, style);
    default: return encodePromptFile(parts);
  }
}
