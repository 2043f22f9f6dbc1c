// Task data for the optimizer: load a dataset, bind it to an extractor, split it, judge answers.
// No model code here — this layer imports nothing from src/engine except UserError.
//
// Typical use (what `greater optimize` does):
//
//   const task = loadTask('bbh/date_understanding.json', { questionField, answerField, extractor: { preset } });
//   for (const w of task.warnings) log(w);                       // e.g. rows dropped for odd labels
//   const { train, heldOut } = splitExamples(task.examples, { seed, nTrain: 50, maxHeldOut: 100 }, task.file);
//   // each TaskExample: { index, line, question, label, answer, target }
//   // target = task.extractor.text + answer — teacher-forced after the reasoning (ALGORITHM §1, §3)
//   isCorrect(generatedAfterExtractor, example.answer, task.kind)  // held-out evaluation, §9 item 3
//   checkExtractorMatches(fullCompletions, task.extractor)          // dry run on a few samples
//
// Modules:
//   load.ts        loadDataset: .csv / .tsv / .jsonl / .json (array, {"examples": [...]}, or BBH's
//                  CSV-in-.json); --question-field / --answer-field or auto-detection; GSM8K "#### N";
//                  every row keeps its source line; bad input → UserError "file:line: what was expected".
//   csv.ts         RFC 4180 reader with multi-line quoted fields (our own, for line numbers + strictness).
//   jsonRows.ts    JSON / JSON Lines rows with line numbers.
//   answers.ts     AnswerKind (mcq | binary | integer | text), detection from the data, canonical
//                  answers, parseCompletion / isCorrect for generated text.
//   extractors.ts  presets: 27 BBH tasks, gsm8k, folio, auto; custom text; choosePreset by file name,
//                  folder, then answer kind. Options derived from the data unless the preset fixes them.
//   task.ts        buildTask: canonical answers + targets; drop-with-warning vs error for odd labels.
//   split.ts       seeded train / held-out split (src/greater/rng.ts).
//   check.ts       checkExtractorMatches for the dry run.
import { Dataset, LoadOptions, loadDataset } from './load';
import { ExtractorSpec, resolveExtractor } from './extractors';
import { Task, buildTask } from './task';

export { loadDataset, readDatasetTable, QUESTION_FIELDS, ANSWER_FIELDS } from './load';
export { DEFAULT_MAX_INPUT_MB, readInputText } from './inputFile';
export type { Dataset, DatasetFormat, DatasetTable, Example, LoadOptions } from './load';
export { parseDelimited } from './csv';
export type { DelimitedRecord } from './csv';
export {
  MIN_FIT_SHARE, answersMatch, canonicalAnswer, describeKind, detectAnswerKind, isCorrect, kindFromData,
  normalizeWhitespace, parseCompletion,
} from './answers';
export type { AnswerKind, AnswerType, KindDetection } from './answers';
export {
  BBH_PRESETS, PRESET_NAMES, choosePreset, describeExtractor, extractorSpecFromArg, extractorText, presetExtractor, resolveExtractor,
} from './extractors';
export type { Extractor, ExtractorSpec } from './extractors';
export { buildTask, targetFor } from './task';
export type { DroppedRow, Task, TaskExample } from './task';
export { DEFAULT_TRAIN_SIZE, splitExamples } from './split';
export type { Split, SplitOptions } from './split';
export { checkExtractorMatches, textAfterExtractor } from './check';
export type { CompletionCheck, ExtractorCheck } from './check';

export interface LoadTaskOptions extends LoadOptions {
  /** Preset name or custom text; default: chosen from the file name / folder / answer kind. */
  extractor?: ExtractorSpec;
}

/** loadDataset + resolveExtractor + buildTask in one call. */
export function loadTask(file: string, opts: LoadTaskOptions = {}): Task {
  const ds: Dataset = loadDataset(file, opts);
  return buildTask(ds, resolveExtractor(ds, opts.extractor));
}
