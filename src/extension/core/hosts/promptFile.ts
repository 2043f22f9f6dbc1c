// Prompt files (.prompty, .md, .txt): the scanner finds the one prompt body of the file, and the body is text
// written as is. Pure (no vscode).
import type { LiteralStyle, Part } from '../../../shared/literalStyle';
import { displayValue } from './parts';
import { MARKER, type Literal } from './scanner';

export type PromptFileStyle = Extract<LiteralStyle, { lang: 'text' }>;

/**
 * The prompt body of a file: a .prompty file's text after its YAML front matter; a .md/.txt file's text after
 * a `greater-prompt` marker line, or all of it when the file's name contains "prompt".
 */
export function scanPromptFile(text: string, fileName: string): Literal[] {
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

export function decodePromptFile(src: string, _style: PromptFileStyle): Part[] {
  return src ? [{ kind: 'text', text: src }] : [];
}

export function encodePromptFile(parts: readonly Part[]): string {
  return displayValue(parts);
}
