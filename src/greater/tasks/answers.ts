// Answer kinds: what a gold label looks like, its canonical form, how the kind is detected from a
// dataset, and how a model's completion after the extractor is parsed (ALGORITHM §9 item 3).
//   mcq     "(A)" or "A"            → "A"      options A..max derived from labels and "(X)" option lines
//   binary  Yes/No, True/False, valid/invalid (any case) → the casing the data uses most
//   integer "14", "-3", "2,125", "$18" → "14", "-3", "2125", "18"
//   text    anything else            → whitespace-normalised string

export type AnswerKind =
  | { type: 'mcq'; letters: string[] }
  | { type: 'binary'; choices: [string, string] }
  | { type: 'integer'; signed: boolean }
  | { type: 'text' };

export type AnswerType = AnswerKind['type'];

/** A structured kind is chosen only if at least this share of the labels fit it; the rest are dropped. */
export const MIN_FIT_SHARE = 0.9;

/** Positive word first, as the reference extractors list them ('$ Yes' or '$ No'). */
const BINARY_PAIRS: ReadonlyArray<readonly [string, string]> = [['yes', 'no'], ['true', 'false'], ['valid', 'invalid']];

const MCQ_LABEL = /^\(([A-Z])\)$|^([A-Z])$/;
const INTEGER_LABEL = /^([-+−])?(\d{1,3}(?:,\d{3})+|\d+)$/;
const OPTION_LINE = /^\(([A-Z])\)\s/gm;

export function normalizeWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function canonicalInteger(sign: string | undefined, digits: string): string {
  const v = BigInt(digits.replace(/,/g, ''));
  return (sign === '-' || sign === '−') && v !== 0n ? `-${v}` : `${v}`;
}

/** "-$5", "$-5", "$ 1,234" → canonical integer; null if the label is not an integer. */
function integerLabel(label: string): string | null {
  const m = INTEGER_LABEL.exec(label.replace(/[\s$]/g, ''));
  return m ? canonicalInteger(m[1], m[2]) : null;
}

/** Canonical gold answer of `label` under `kind`, or null when the label does not fit the kind. */
export function canonicalAnswer(label: string, kind: AnswerKind): string | null {
  const s = label.trim();
  switch (kind.type) {
    case 'mcq': {
      const m = MCQ_LABEL.exec(s);
      const letter = m ? (m[1] ?? m[2]) : null;
      return letter !== null && kind.letters.includes(letter) ? letter : null;
    }
    case 'binary': {
      const lower = s.toLowerCase();
      return kind.choices.find((c) => c.toLowerCase() === lower) ?? null;
    }
    case 'integer': {
      const v = integerLabel(s);
      return v === null || (!kind.signed && v.startsWith('-')) ? null : v;
    }
    case 'text': {
      const v = normalizeWhitespace(s);
      return v === '' ? null : v;
    }
  }
}

function lettersUpTo(max: string): string[] {
  const out: string[] = [];
  for (let c = 65; c <= max.charCodeAt(0); c++) out.push(String.fromCharCode(c));
  return out;
}

/** Most frequent spelling of `word` among the labels (ties → first seen), undefined if absent. */
function dataCasing(word: string, labels: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const l of labels) {
    const t = l.trim();
    if (t.toLowerCase() === word) counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [k, v] of counts) if (best === undefined || v > counts.get(best)!) best = k;
  return best;
}

/** `word` cased like `model`: "NO" → "YES", "No" → "Yes", "no" → "yes". */
function caseLike(word: string, model: string): string {
  if (model.length > 1 && model === model.toUpperCase()) return word.toUpperCase();
  if (model[0] === model[0].toUpperCase()) return word[0].toUpperCase() + word.slice(1);
  return word;
}

/**
 * The kind of `type` that best fits the data: MCQ letters run from A to the highest letter seen in a
 * fitting label or in an "(X) " option line of its question (date_understanding → A–F, geometric_shapes
 * → A–K, disambiguation_qa → A–D: three questions offer "(D) Ambiguous"); binary casing and integer sign
 * follow the labels. Returns null if no label fits the type at all.
 */
export function kindFromData(type: AnswerType, labels: string[], questions: string[]): AnswerKind | null {
  switch (type) {
    case 'mcq': {
      let max = '';
      labels.forEach((l, i) => {
        const m = MCQ_LABEL.exec(l.trim());
        if (!m) return;
        const letter = m[1] ?? m[2];
        if (letter > max) max = letter;
        for (const o of (questions[i] ?? '').matchAll(OPTION_LINE)) if (o[1] > max) max = o[1];
      });
      return max === '' ? null : { type: 'mcq', letters: lettersUpTo(max) };
    }
    case 'binary': {
      let best: readonly [string, string] | undefined;
      let bestCount = 0;
      for (const pair of BINARY_PAIRS) {
        const count = labels.filter((l) => pair.includes(l.trim().toLowerCase())).length;
        if (count > bestCount) { best = pair; bestCount = count; }
      }
      if (!best) return null;
      // A pair word absent from the data (all labels "No") takes its casing from the other one.
      const pos = dataCasing(best[0], labels);
      const neg = dataCasing(best[1], labels);
      return { type: 'binary', choices: [pos ?? caseLike(best[0], neg!), neg ?? caseLike(best[1], pos!)] };
    }
    case 'integer': {
      let any = false;
      let signed = false;
      for (const l of labels) {
        const v = integerLabel(l);
        if (v === null) continue;
        any = true;
        if (v.startsWith('-')) signed = true;
      }
      return any ? { type: 'integer', signed } : null;
    }
    case 'text':
      return { type: 'text' };
  }
}

export interface KindDetection {
  kind: AnswerKind;
  /** Per label: canonical answer, or null if the label does not fit `kind` (those rows get dropped). */
  answers: (string | null)[];
}

/**
 * Detects the answer kind of a dataset: the structured kind (mcq, binary, integer, in that order on
 * ties) that fits the most labels wins if it fits at least MIN_FIT_SHARE of them; otherwise free text.
 */
export function detectAnswerKind(labels: string[], questions: string[]): KindDetection {
  let best: KindDetection | null = null;
  let bestFit = 0;
  for (const type of ['mcq', 'binary', 'integer'] as const) {
    const kind = kindFromData(type, labels, questions);
    if (!kind) continue;
    const answers = labels.map((l) => canonicalAnswer(l, kind));
    const fit = answers.filter((a) => a !== null).length;
    if (fit > bestFit) { best = { kind, answers }; bestFit = fit; }
  }
  if (best && labels.length > 0 && bestFit >= MIN_FIT_SHARE * labels.length) return best;
  const text: AnswerKind = { type: 'text' };
  return { kind: text, answers: labels.map((l) => canonicalAnswer(l, text)) };
}

/** "one of A, B, C", "Yes or No", "an integer", "free text" — for messages. */
export function describeKind(kind: AnswerKind): string {
  switch (kind.type) {
    case 'mcq': return `an option letter ${kind.letters.length > 1 ? `${kind.letters[0]}–${kind.letters[kind.letters.length - 1]}` : kind.letters[0]} written "(X)" or "X"`;
    case 'binary': return `"${kind.choices[0]}" or "${kind.choices[1]}"`;
    case 'integer': return kind.signed ? 'an integer' : 'a non-negative integer';
    case 'text': return 'non-empty text';
  }
}

// --- parsing what the model wrote after the extractor -------------------------------------------------

const LEADING_MARKUP = /^[\s$*_`'"([{:]+/;

function parseInteger(text: string): string | null {
  const m = /\d{1,3}(?:,\d{3})+(?!\d)|\d+/.exec(text);
  if (!m) return null;
  // A minus counts if it directly precedes the number (a '$' or spaces may sit between) and is not a
  // binary minus after a digit ("5-3" is 5).
  const before = /([-−])[\s$]*$/.exec(text.slice(0, m.index));
  const isNeg = before !== null && !/\d\s*$/.test(text.slice(0, before.index));
  return canonicalInteger(isNeg ? '-' : undefined, m[0]);
}

/**
 * The answer a completion gives, canonical under `kind`, or null if none can be read. `text` is what
 * the model generated after the extractor (which already ends in "$" or "**"):
 *   mcq     first capital letter after leading '$', '**', '(' etc., else the first "(X)", else the
 *           first standalone capital letter that is one of the options
 *   binary  the first word, case-insensitive
 *   integer the first signed integer (thousands commas allowed)
 *   text    the first line, markup stripped, whitespace-normalised
 */
export function parseCompletion(text: string, kind: AnswerKind): string | null {
  switch (kind.type) {
    case 'mcq': {
      const s = text.replace(LEADING_MARKUP, '');
      const direct = /^([A-Z])(?![A-Za-z])/.exec(s);
      if (direct) return direct[1];
      const paren = /\(([A-Z])\)/.exec(text);
      if (paren) return paren[1];
      for (const m of text.matchAll(/(?<![A-Za-z])([A-Z])(?![A-Za-z])/g)) if (kind.letters.includes(m[1])) return m[1];
      return null;
    }
    case 'binary': {
      const w = /[A-Za-z]+/.exec(text);
      if (!w) return null;
      const lower = w[0].toLowerCase();
      return kind.choices.find((c) => c.toLowerCase() === lower) ?? null;
    }
    case 'integer':
      return parseInteger(text);
    case 'text': {
      const first = text.replace(/^[\s$*]+/, '').split('\n')[0];
      const v = normalizeWhitespace(first.replace(/[\s$*]+$/, ''));
      return v === '' ? null : v;
    }
  }
}

/** Whether a parsed completion matches the canonical gold answer (text also accepts a trailing '.'). */
export function answersMatch(parsed: string | null, gold: string, kind: AnswerKind): boolean {
  if (parsed === null) return false;
  if (parsed === gold) return true;
  return kind.type === 'text' && parsed.endsWith('.') && parsed.slice(0, -1).trimEnd() === gold;
}

/** Parses `text` (the model's words after the extractor) and compares with the gold answer. */
export function isCorrect(text: string, gold: string, kind: AnswerKind): boolean {
  return answersMatch(parseCompletion(text, kind), gold, kind);
}
