// Turns a found literal (or a selection) into the serialisable PromptSource a run writes back into.
// Pure (no vscode).
import { decode, displayValue, encodeBody, encodeLiteral, LiteralError, normalizeParts, pyFlags, type LiteralStyle } from './literal';
import type { PromptSource } from '../../shared/panelMessages';
import { findLiterals, findPrompts, hostLanguage, type PromptSite } from './promptFinder';
import { missingPlaceholders, planPrompt } from './promptPlan';

export interface DocInfo {
  uri: string;
  fileName: string;
  languageId: string;
  text: string;
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

export function sourceFromSite(doc: DocInfo, site: PromptSite): PromptSource {
  const plan = planPrompt(site.parts);
  return {
    uri: doc.uri, label: `${doc.fileName.split(/[\\/]/).pop()}:${lineOf(doc.text, site.start)}`, languageId: doc.languageId,
    start: site.start, end: site.end, original: doc.text.slice(site.start, site.end), style: site.style,
    optimizable: plan.optimizable, prefixParts: plan.prefixParts, suffixParts: plan.suffixParts, context: plan.context,
    placeholders: plan.placeholders.map((p) => p.text),
  };
}

/** The prompt at an offset (cursor or CodeLens), if any. */
export function promptAt(doc: DocInfo, offset: number): PromptSite | undefined {
  return findPrompts(doc.text, doc.languageId, doc.fileName).find((s) => s.start <= offset && offset <= s.end);
}

/**
 * A selection as a prompt. Inside a string literal the selected source is decoded and re-encoded with that
 * literal's escaping; a selection that covers the whole literal is that literal. Elsewhere it is plain text.
 */
export function sourceFromSelection(doc: DocInfo, selStart: number, selEnd: number): PromptSource {
  if (selEnd <= selStart) throw new Error('select the prompt text first');
  const lang = hostLanguage(doc.languageId, doc.fileName);
  const lits = lang && lang !== 'text' ? findLiterals(doc.text, lang, doc.fileName) : [];
  const whole = lits.find((l) => l.start === selStart && l.end === selEnd || l.contentStart === selStart && l.contentEnd === selEnd);
  if (whole) {
    const parts = decode(doc.text.slice(whole.contentStart, whole.contentEnd), whole.style);
    return sourceFromSite(doc, { ...whole, parts, value: displayValue(parts) });
  }
  const inside = lits.find((l) => l.contentStart <= selStart && selEnd <= l.contentEnd);
  if (!inside && lits.some((l) => selStart < l.end && l.start < selEnd)) {
    throw new Error('the selection crosses the edge of a string literal; select inside one literal, or the whole literal');
  }
  const style: LiteralStyle = inside ? inside.style : { lang: 'text' };
  const raw = doc.text.slice(selStart, selEnd);
  let parts;
  try {
    parts = decode(raw, style);
  } catch (e) {
    if (e instanceof LiteralError) throw new Error(`the selection cuts through an escape or interpolation (${e.message}); extend it`);
    throw e;
  }
  const plan = planPrompt(parts);
  return {
    uri: doc.uri, label: `${doc.fileName.split(/[\\/]/).pop()}:${lineOf(doc.text, selStart)}`, languageId: doc.languageId,
    start: selStart, end: selEnd, original: raw, style, bodyOnly: !!inside,
    optimizable: plan.optimizable, prefixParts: plan.prefixParts, suffixParts: plan.suffixParts, context: plan.context,
    placeholders: plan.placeholders.map((p) => p.text),
  };
}

/** The new source text for the source's range, with `newText` as the optimised span. */
export function renderReplacement(source: PromptSource, newText: string): string {
  const parts = normalizeParts([...source.prefixParts, { kind: 'text', text: newText }, ...source.suffixParts]);
  const lost = missingPlaceholders(source.placeholders, parts);
  if (lost.length) throw new Error(`the new prompt would lose the placeholder(s) ${lost.join(', ')}`);
  if (!source.bodyOnly) return encodeLiteral(parts, source.style);
  const body = encodeBody(parts, source.style);
  // inside a raw Python string we cannot change the prefix: make sure the body decodes back to the same text
  if (displayValue(decode(body, source.style)) !== displayValue(parts) || (source.style.lang === 'py' && /["']/.test(body) && pyFlags(source.style).raw)) {
    throw new Error('the new prompt cannot be written into this raw string selection; select the whole literal instead');
  }
  return body;
}
