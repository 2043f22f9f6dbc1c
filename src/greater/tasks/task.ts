// A dataset bound to an extractor: every usable row gets its canonical gold answer and its teacher-
// forcing target string (ALGORITHM §1: target = extractor text + answer, "(X)" reduced to "X", no
// separator — the extractor carries its own trailing "$" / "$ ").
//
// Rows whose label does not fit the extractor's answer kind:
//   options from the data (BBH presets, auto, custom text without a kind): dropped, listed in
//     `dropped` and counted in `warnings` — e.g. movie_recommendation's "Monsters, Inc" (line of data
//     row 163) and ruin_names' two free-text names. If more than 1 − MIN_FIT_SHARE of the rows would go,
//     the extractor does not fit the file and that is an error instead.
//   fixed options (FOLIO A–C, GSM8K integers, custom text with a kind): an error listing the lines.
import { UserError } from '../../engine';
import { AnswerKind, MIN_FIT_SHARE, canonicalAnswer, describeKind, normalizeWhitespace } from './answers';
import { Extractor } from './extractors';
import { Dataset } from './load';

export interface TaskExample {
  index: number;
  line: number;
  question: string;
  /** Gold label as in the file. */
  label: string;
  /** Canonical gold answer: "A", "Yes", "-42", or whitespace-normalised text. */
  answer: string;
  /** extractor.text + answer — the string teacher-forced after the reasoning. */
  target: string;
}

export interface DroppedRow {
  index: number;
  line: number;
  label: string;
}

export interface Task {
  /** Dataset name (file name without extension). */
  name: string;
  file: string;
  sha256: string;
  extractor: Extractor;
  kind: AnswerKind;
  examples: TaskExample[];
  dropped: DroppedRow[];
  /** Human-readable notes for the log (one per issue, counts included). */
  warnings: string[];
}

interface Duplicates {
  /** Later copies of a question with the same answer: line → line of the copy kept. */
  repeated: { line: number; of: number }[];
  /** The same question with different answers: every such row is dropped, since neither answer can be trusted. */
  conflicting: { lines: number[]; labels: string[] }[];
}

/**
 * Drops repeated questions in place (same text up to whitespace), so that the train and held-out halves are
 * disjoint by question. Conflicting copies are all dropped rather than refused: Big-Bench-Hard's own
 * causal_judgement has one such pair (lines 182 and 522), and a benchmark file must still load.
 */
function removeDuplicates(examples: TaskExample[]): Duplicates {
  const groups = new Map<string, TaskExample[]>();
  for (const e of examples) {
    const key = normalizeWhitespace(e.question);
    const g = groups.get(key);
    if (g) g.push(e); else groups.set(key, [e]);
  }
  const out: Duplicates = { repeated: [], conflicting: [] };
  const drop = new Set<TaskExample>();
  for (const g of groups.values()) {
    if (g.length === 1) continue;
    if (g.some((e) => e.answer !== g[0].answer)) {
      out.conflicting.push({ lines: g.map((e) => e.line), labels: g.map((e) => e.label) });
      g.forEach((e) => drop.add(e));
    } else {
      for (const e of g.slice(1)) { out.repeated.push({ line: e.line, of: g[0].line }); drop.add(e); }
    }
  }
  examples.splice(0, examples.length, ...examples.filter((e) => !drop.has(e)));
  return out;
}

function duplicateWarnings(d: Duplicates, file: string): string[] {
  const w: string[] = [];
  const more = (n: number) => (n > 10 ? ` and ${n - 10} more` : '');
  if (d.repeated.length > 0) {
    w.push(`${file}: removed ${d.repeated.length} repeated question${d.repeated.length > 1 ? 's' : ''} (a question must not be both trained on and held out): ` +
      d.repeated.slice(0, 10).map((r) => `line ${r.line} repeats line ${r.of}`).join(', ') + more(d.repeated.length));
  }
  if (d.conflicting.length > 0) {
    const rows = d.conflicting.reduce((n, c) => n + c.lines.length, 0);
    w.push(`${file}: dropped ${rows} rows: ${d.conflicting.length} question${d.conflicting.length > 1 ? 's' : ''} asked more than once with different answers, ` +
      d.conflicting.slice(0, 10).map((c) => `lines ${c.lines.join(' and ')} (${c.labels.map((l) => JSON.stringify(l)).join(' vs ')})`).join(', ') + more(d.conflicting.length));
  }
  return w;
}

/** The teacher-forcing target; `answer` must already be canonical (see canonicalAnswer). */
export function targetFor(extractor: Extractor, answer: string): string {
  return extractor.text + answer;
}

function listLines(rows: DroppedRow[], max = 10): string {
  const shown = rows.slice(0, max).map((r) => `${r.line} (${JSON.stringify(r.label.length > 40 ? r.label.slice(0, 37) + '...' : r.label)})`);
  return shown.join(', ') + (rows.length > max ? ` and ${rows.length - max} more` : '');
}

export function buildTask(ds: Dataset, extractor: Extractor): Task {
  const examples: TaskExample[] = [];
  const dropped: DroppedRow[] = [];
  for (const e of ds.examples) {
    const answer = canonicalAnswer(e.label, extractor.kind);
    if (answer === null) dropped.push({ index: e.index, line: e.line, label: e.label });
    else examples.push({ index: e.index, line: e.line, question: e.question, label: e.label, answer, target: targetFor(extractor, answer) });
  }
  const warnings: string[] = [];
  warnings.push(...duplicateWarnings(removeDuplicates(examples), ds.file));
  if (dropped.length > 0) {
    const expected = describeKind(extractor.kind);
    const where = `${ds.file}: ${dropped.length} of ${ds.examples.length} answers in column '${ds.answerField}' ` +
      `do not fit extractor '${extractor.id}' (expected ${expected})`;
    if (extractor.optionsFrom === 'fixed') {
      throw new UserError(`${where}: lines ${listLines(dropped)}; fix those rows or choose another --extractor`);
    }
    if (dropped.length > (1 - MIN_FIT_SHARE) * ds.examples.length) {
      throw new UserError(`${where}, too many to drop: lines ${listLines(dropped)}; ` +
        'choose another --extractor or --answer-field');
    }
    warnings.push(`${where}; dropped ${dropped.length} row${dropped.length > 1 ? 's' : ''} at line${dropped.length > 1 ? 's' : ''} ${listLines(dropped)}`);
  }
  return { name: ds.name, file: ds.file, sha256: ds.sha256, extractor, kind: extractor.kind, examples, dropped, warnings };
}
