// Extractor presets: the sentence appended after the model's reasoning, ending where the answer starts,
// so that target = extractor + answer can be teacher-forced (ALGORITHM §1, §3). Texts follow the
// reference Llama-3 scripts ("Therefore, the final answer (use exact format: '$A' or '$B') is $"), but
// option letters and yes/no casing come from the data (§13 item 11: the reference lists A–E for
// date_understanding, whose data has F, and A–J for geometric_shapes, which has K).
import { UserError } from '../../engine';
import { AnswerKind, AnswerType, describeKind, detectAnswerKind, kindFromData } from './answers';
import { Dataset } from './load';

export interface Extractor {
  /** Preset name ("date_understanding", "gsm8k", "folio", "auto") or "custom". */
  id: string;
  text: string;
  kind: AnswerKind;
  /**
   * 'data': the options were derived from this dataset, so a row whose label does not fit is dropped
   * with a warning. 'fixed': the options are part of the preset (FOLIO A–C, GSM8K integers) or were
   * given by the caller, so a label outside them is an error.
   */
  optionsFrom: 'data' | 'fixed';
}

const PREFIX = 'Therefore, the final answer (use exact format: ';

/** How the answer of a BBH task looks; MCQ letters and binary casing are filled in from the data. */
type PresetShape =
  | { type: 'mcq' }
  | { type: 'binary' }
  | { type: 'integer'; signed: boolean }
  | { type: 'text'; describe: string };

/** All 27 files of GReaTer's data/BBH (ALGORITHM §3 table; the six it leaves out get the same style). */
export const BBH_PRESETS: Readonly<Record<string, PresetShape>> = {
  boolean_expressions: { type: 'binary' },
  causal_judgement: { type: 'binary' },
  date_understanding: { type: 'mcq' },
  disambiguation_qa: { type: 'mcq' },
  dyck_languages: { type: 'text', describe: 'the missing closing brackets, separated by single spaces' },
  formal_fallacies: { type: 'binary' },
  geometric_shapes: { type: 'mcq' },
  hyperbaton: { type: 'mcq' },
  logical_deduction_five_objects: { type: 'mcq' },
  logical_deduction_seven_objects: { type: 'mcq' },
  logical_deduction_three_objects: { type: 'mcq' },
  movie_recommendation: { type: 'mcq' },
  multistep_arithmetic_two: { type: 'integer', signed: true },
  navigate: { type: 'binary' },
  object_counting: { type: 'integer', signed: false },
  penguins_in_a_table: { type: 'mcq' },
  reasoning_about_colored_objects: { type: 'mcq' },
  ruin_names: { type: 'mcq' },
  salient_translation_error_detection: { type: 'mcq' },
  snarks: { type: 'mcq' },
  sports_understanding: { type: 'binary' },
  temporal_sequences: { type: 'mcq' },
  tracking_shuffled_objects_five_objects: { type: 'mcq' },
  tracking_shuffled_objects_seven_objects: { type: 'mcq' },
  tracking_shuffled_objects_three_objects: { type: 'mcq' },
  web_of_lies: { type: 'binary' },
  word_sorting: { type: 'text', describe: 'the words in alphabetical order, separated by single spaces' },
};

/** Presets whose options are fixed by the benchmark rather than read from the file. */
const FIXED_PRESETS: Readonly<Record<string, AnswerKind>> = {
  gsm8k: { type: 'integer', signed: true },
  folio: { type: 'mcq', letters: ['A', 'B', 'C'] },
};

export const PRESET_NAMES: readonly string[] = [...Object.keys(BBH_PRESETS), ...Object.keys(FIXED_PRESETS), 'auto'];

/**
 * Reference-style extractor text for a kind. Binary and free-text answers follow "is $ " (with the
 * space), letters and numbers follow "is $" directly — the reference's choice, kept so targets match it.
 */
export function extractorText(kind: AnswerKind, textDescription = 'the answer only'): string {
  switch (kind.type) {
    case 'mcq':
      return `${PREFIX}${kind.letters.map((l) => `'$${l}'`).join(' or ')}) is $`;
    case 'binary':
      return `${PREFIX}'$ ${kind.choices[0]}' or '$ ${kind.choices[1]}') is $ `;
    case 'integer':
      return `Therefore, the final answer (use exactly this format: $NUMBER$, where NUMBER is a ${kind.signed ? 'positive or negative' : 'positive'} integer) is $`;
    case 'text':
      return `${PREFIX}'$ ' followed by ${textDescription}) is $ `;
  }
}

function labelsAndQuestions(ds: Dataset): { labels: string[]; questions: string[] } {
  return { labels: ds.examples.map((e) => e.label), questions: ds.examples.map((e) => e.question) };
}

function dataKind(ds: Dataset, type: AnswerType, preset: string): AnswerKind {
  const { labels, questions } = labelsAndQuestions(ds);
  const kind = kindFromData(type, labels, questions);
  if (!kind) {
    throw new UserError(`${ds.file}: the '${preset}' extractor expects ${type === 'mcq' ? 'option letters like (A)' : type === 'binary' ? 'yes/no, true/false or valid/invalid answers' : 'integer answers'}, ` +
      `but no answer in column '${ds.answerField}' has that form (first: ${JSON.stringify(labels[0])} on line ${ds.examples[0].line}); pick another --extractor`);
  }
  return kind;
}

/** A named preset built for this dataset. Unknown names list the known ones. */
export function presetExtractor(name: string, ds: Dataset): Extractor {
  const fixed = FIXED_PRESETS[name];
  if (fixed) return { id: name, text: extractorText(fixed), kind: fixed, optionsFrom: 'fixed' };
  const shape = BBH_PRESETS[name];
  if (shape) {
    let kind: AnswerKind;
    if (shape.type === 'integer') kind = { type: 'integer', signed: shape.signed };
    else if (shape.type === 'text') kind = { type: 'text' };
    else kind = dataKind(ds, shape.type, name);
    return { id: name, text: extractorText(kind, shape.type === 'text' ? shape.describe : undefined), kind, optionsFrom: 'data' };
  }
  if (name === 'auto') {
    const { labels, questions } = labelsAndQuestions(ds);
    const kind = detectAnswerKind(labels, questions).kind;
    return { id: 'auto', text: extractorText(kind), kind, optionsFrom: 'data' };
  }
  throw new UserError(`unknown extractor preset '${name}'; known presets: ${PRESET_NAMES.join(', ')} (or pass your own extractor text)`);
}

/** The preset a dataset gets when none is named: by file name, then by folder (FOLIO, GSM8K), then by answer kind. */
export function choosePreset(ds: Dataset): string {
  if (ds.name in BBH_PRESETS) return ds.name;
  const parts = ds.file.toLowerCase().split(/[\\/]/);
  if (parts.some((p) => p.includes('folio'))) return 'folio';
  if (parts.some((p) => p.includes('gsm8k') || p.includes('grade_school_math'))) return 'gsm8k';
  return 'auto';
}

export interface ExtractorSpec {
  /** A preset name (see PRESET_NAMES). */
  preset?: string;
  /** Custom extractor text; it must end where the answer starts (e.g. "… is $"). */
  text?: string;
  /** With `text`: the answer kind, which makes the options fixed; without it the kind is detected. */
  kind?: AnswerKind;
}

/** Resolves what the user asked for (or nothing) into an extractor for this dataset. */
export function resolveExtractor(ds: Dataset, spec: ExtractorSpec = {}): Extractor {
  if (spec.text !== undefined) {
    if (spec.preset !== undefined) throw new UserError(`give either an extractor preset ('${spec.preset}') or custom extractor text, not both`);
    if (spec.text.trim() === '') throw new UserError('the custom extractor text is empty (expected a sentence ending where the answer starts, e.g. "… the final answer is $")');
    if (spec.kind) return { id: 'custom', text: spec.text, kind: spec.kind, optionsFrom: 'fixed' };
    const { labels, questions } = labelsAndQuestions(ds);
    return { id: 'custom', text: spec.text, kind: detectAnswerKind(labels, questions).kind, optionsFrom: 'data' };
  }
  if (spec.kind) throw new UserError('an answer kind can only be given together with custom extractor text');
  return presetExtractor(spec.preset ?? choosePreset(ds), ds);
}

/** Levenshtein distance, for "did you mean" on preset names. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The --extractor argument: an exact preset name, or custom text. A single word within two edits of a preset
 * is a typo, not an extractor sentence (`navigte` would otherwise run as custom text and never match).
 */
export function extractorSpecFromArg(v: string, customFlag = '--extractor-text'): ExtractorSpec {
  if (PRESET_NAMES.includes(v)) return { preset: v };
  const word = v.trim().toLowerCase();
  if (!/\s/.test(word)) {
    const near = PRESET_NAMES.map((p) => ({ p, d: editDistance(word, p) })).filter((x) => x.d <= 2).sort((x, y) => x.d - y.d)[0];
    if (near) throw new UserError(`unknown extractor preset '${v}'; did you mean '${near.p}'? (for custom extractor text use ${customFlag})`);
  }
  return { text: v };
}

/** One-line summary for logs and the dry run: "date_understanding: an option letter A–F …". */
export function describeExtractor(ex: Extractor): string {
  return `${ex.id}: answers are ${describeKind(ex.kind)}${ex.optionsFrom === 'data' ? ' (options from the data)' : ''}`;
}
