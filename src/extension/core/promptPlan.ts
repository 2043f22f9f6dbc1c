// Which part of a prompt literal the optimizer may rewrite, and how the result goes back into the source.
// Placeholders ({question}, ${x}, {{var}}, f-string / template interpolations) are fixed: the optimised span
// is the longest placeholder-free run of text, everything around it is passed to the optimizer as context
// and written back unchanged. Pure (no vscode).
import type { PromptContext } from '../../worker/protocol';
import { displayValue, encodeLiteral, normalizeParts, type LiteralStyle, type Part } from './literal';

export interface Placeholder {
  /** offsets in the display value */
  start: number;
  end: number;
  text: string;
  name: string;
  /** interpolation = evaluated by the host language; the others are conventions inside plain text */
  kind: 'interpolation' | 'mustache' | 'dollar' | 'brace' | 'verbatim';
}

// mustache first so `{{var}}` is not read as `{var}` inside braces
const TEXT_PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}|\$\{([^{}]*)\}|\{([A-Za-z_][\w.]*|\d*)(?:![rsa])?(?::[^{}]*)?\}/g;

export function findPlaceholders(parts: readonly Part[]): Placeholder[] {
  const out: Placeholder[] = [];
  let at = 0;
  for (const p of parts) {
    if (p.kind === 'verbatim') {
      const interp = /^\$?\{([^]*)\}$/.exec(p.source);
      const name = interp ? interp[1].trim().split(/[!:=\s]/)[0] : p.source;
      out.push({ start: at, end: at + p.source.length, text: p.source, name, kind: interp ? 'interpolation' : 'verbatim' });
      at += p.source.length;
      continue;
    }
    for (const m of p.text.matchAll(TEXT_PLACEHOLDER)) {
      const kind = m[1] !== undefined ? 'mustache' : m[2] !== undefined ? 'dollar' : 'brace';
      const name = (m[1] ?? m[2] ?? m[3] ?? '').trim();
      out.push({ start: at + m.index!, end: at + m.index! + m[0].length, text: m[0], name, kind });
    }
    at += p.text.length;
  }
  return out;
}

const QUESTION_NAMES = /^(question|input|query|q|problem|user_input|text|content|x)$/i;

export interface PromptPlan {
  /** the text handed to the optimizer as the initial prompt */
  optimizable: string;
  /** display offsets of the optimised span */
  start: number;
  end: number;
  prefixParts: Part[];
  suffixParts: Part[];
  context: PromptContext;
  placeholders: Placeholder[];
}

/** Splits a literal's parts into fixed prefix, optimised span and fixed suffix. */
export function planPrompt(parts: readonly Part[]): PromptPlan {
  const value = displayValue(parts);
  const placeholders = findPlaceholders(parts);
  // free runs between placeholders; pick the longest by its trimmed length (ties: the later one, which in
  // "Q: {question}\nA: …" layouts is the instruction)
  // A line that ends in a placeholder ("Question: {question}") is its label, and the rest of a placeholder's
  // line belongs to it too: both stay fixed when the run has other lines.
  let best = { start: 0, end: 0, len: -1 };
  let from = 0;
  const cuts = [...placeholders, { start: value.length, end: value.length }];
  cuts.forEach((cut, k) => {
    let a = from, b = cut.start;
    if (k > 0) {
      const nl = value.indexOf('\n', a);
      if (nl >= 0 && nl < b) a = nl + 1;
    }
    if (k < cuts.length - 1) {
      const nl = value.lastIndexOf('\n', b - 1);
      if (nl >= a) b = nl;
    }
    const run = value.slice(a, b);
    const lead = run.length - run.trimStart().length;
    const trimmed = run.trim();
    if (trimmed.length >= best.len && trimmed.length > 0) {
      best = { start: a + lead, end: a + lead + trimmed.length, len: trimmed.length };
    }
    from = cut.end;
  });
  if (best.len < 0) best = { start: value.length, end: value.length, len: 0 };
  const prefixParts = sliceParts(parts, 0, best.start);
  const suffixParts = sliceParts(parts, best.end, value.length);
  const question = placeholders.find((p) => QUESTION_NAMES.test(p.name));
  const context: PromptContext = {
    prefix: displayValue(prefixParts), suffix: displayValue(suffixParts),
    ...(question ? { questionPlaceholder: question.text } : {}),
  };
  return { optimizable: value.slice(best.start, best.end), start: best.start, end: best.end, prefixParts, suffixParts, context, placeholders };
}

/** Parts covering display offsets [from, to); verbatim parts are never cut (plans only cut inside text). */
export function sliceParts(parts: readonly Part[], from: number, to: number): Part[] {
  const out: Part[] = [];
  let at = 0;
  for (const p of parts) {
    const len = p.kind === 'text' ? p.text.length : p.source.length;
    const a = Math.max(from, at), b = Math.min(to, at + len);
    if (b > a || (len === 0 && at >= from && at < to)) {
      if (p.kind === 'text') out.push({ kind: 'text', text: p.text.slice(a - at, b - at) });
      else out.push({ ...p });
    }
    at += len;
  }
  return normalizeParts(out);
}

/** The literal's new source with `newText` in place of the optimised span. */
export function replacementSource(plan: PromptPlan, newText: string, style: LiteralStyle): string {
  const parts = normalizeParts([...plan.prefixParts, { kind: 'text', text: newText }, ...plan.suffixParts]);
  return encodeLiteral(parts, style);
}

/** Placeholders of the original (as text) that the new parts lost: they must survive a replacement. */
export function missingPlaceholders(original: readonly string[], newParts: readonly Part[]): string[] {
  const now = findPlaceholders(newParts).map((p) => p.text);
  return original.filter((t) => {
    const i = now.indexOf(t);
    if (i < 0) return true;
    now.splice(i, 1);
    return false;
  });
}
