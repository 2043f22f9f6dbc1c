// Finds the prompts in a document with their exact source ranges: string literals in TS/JS (quoted and
// template) and Python (str, f-string, triple-quoted) that look like prompts or follow a `greater-prompt`
// marker comment, and the body of prompt files (.prompty, .md, .txt). Each language's scanner lives in its
// own module under hosts/; this file picks one by the document's language and judges prompt-likeness.
// Pure (no vscode).
import { scanJs } from './hosts/javascript';
import { scanPromptFile } from './hosts/promptFile';
import { scanPy } from './hosts/python';
import type { Literal } from './hosts/scanner';
import { decode, displayValue, LiteralError, type Part } from './literal';

export type { Literal } from './hosts/scanner';

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
  if (lang === 'js') return scanJs(text);
  if (lang === 'py') return scanPy(text);
  return scanPromptFile(text, fileName);
}
