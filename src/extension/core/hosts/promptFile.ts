// Prompt files (.prompty, .md, .txt): the scanner finds the one prompt body of the file, and the body is text
// written as is. In a .prompty body the role lines (`system:`, `user:`, …) are the format's own syntax: they
// decode as verbatim parts, so the placeholder plan keeps them fixed, outside the span GReaTer edits.
// Pure (no vscode).
import type { LiteralStyle, Part } from '../../../shared/literalStyle';
import { displayValue, pushText } from './parts';
import { MARKER, type Literal } from './scanner';

export type PromptFileStyle = Extract<LiteralStyle, { lang: 'text' | 'prompty' }>;

/** A chat role line of a .prompty body: the role alone on its line, optionally after `#`. */
const ROLE_LINE = /^[ \t]*#?[ \t]*(system|user|assistant|developer|function|tool)[ \t]*:[ \t]*$/gim;

const isPrompty = (fileName: string) => /\.prompty$/i.test(fileName);

/**
 * A file named as a prompt: `*prompt*` itself, or lying in a folder named `prompts` / `prompt` (as in
 * `.github/prompts/`). Only the folder it lies in counts, so a workspace that is itself named "prompts" does
 * not turn its README into a prompt.
 */
function namedAsPrompt(fileName: string): boolean {
  const [base = '', folder = ''] = fileName.split(/[\\/]/).reverse();
  return /prompt/i.test(base) || /^prompts?$/i.test(folder);
}

/**
 * The prompt body of a file: a .prompty file's text after its YAML front matter; a .md/.txt file's text after
 * a `greater-prompt` marker line, or all of it when the file is named as a prompt (`*prompt*`, or in a
 * `prompts/` folder). Any other file (a README) holds no prompt.
 */
export function scanPromptFile(text: string, fileName: string): Literal[] {
  let start = 0;
  let marker = false;
  const prompty = isPrompty(fileName);
  if (prompty) {
    // YAML front matter between two `---` lines, then the prompt
    const m = /^---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/.exec(text);
    if (m) start = m[0].length;
  } else {
    const m = new RegExp(`^.*${MARKER}.*(\\r?\\n|$)`, 'm').exec(text);
    if (m) {
      start = m.index + m[0].length;
      marker = true;
    } else if (!namedAsPrompt(fileName)) {
      return [];
    }
  }
  while (start < text.length && /[\r\n]/.test(text[start])) start++;
  let end = text.length;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (end <= start) return [];
  const style: PromptFileStyle = prompty ? { lang: 'prompty' } : { lang: 'text' };
  return [{ start, end, contentStart: start, contentEnd: end, style, marker, ignorable: false }];
}

export function decodePromptFile(src: string, style: PromptFileStyle): Part[] {
  if (style.lang === 'text') return src ? [{ kind: 'text', text: src }] : [];
  const parts: Part[] = [];
  let at = 0;
  for (const m of src.matchAll(ROLE_LINE)) {
    pushText(parts, src.slice(at, m.index));
    parts.push({ kind: 'verbatim', source: m[0] });
    at = m.index! + m[0].length;
  }
  pushText(parts, src.slice(at));
  return parts;
}

export function encodePromptFile(parts: readonly Part[]): string {
  return displayValue(parts);
}
