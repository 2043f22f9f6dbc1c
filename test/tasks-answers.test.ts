// Answer kinds: detection on every real BBH file, canonical labels, and parsing hand-written completions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AnswerKind, canonicalAnswer, detectAnswerKind, isCorrect, loadDataset, parseCompletion } from '../src/greater/tasks';

const bbhDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'bbh');
const noBbh = fs.existsSync(path.join(bbhDir, 'README.md')) ? false : `fixtures not found at ${bbhDir}`;
if (noBbh) console.log(`# skipping fixture tests: ${noBbh}`);

const mcq = (last: string): AnswerKind => ({ type: 'mcq', letters: 'ABCDEFGHIJKLMNOPQR'.slice(0, last.charCodeAt(0) - 64).split('') });

// Expected kinds written from the fixtures README ("final_target values" column). Letter ranges run
// from A to the highest label; disambiguation_qa goes to D because three questions offer "(D) Ambiguous".
const EXPECTED: Record<string, AnswerKind> = {
  boolean_expressions: { type: 'binary', choices: ['True', 'False'] },
  causal_judgement: { type: 'binary', choices: ['Yes', 'No'] },
  date_understanding: mcq('F'),
  disambiguation_qa: mcq('D'),
  dyck_languages: { type: 'text' },
  formal_fallacies: { type: 'binary', choices: ['valid', 'invalid'] },
  geometric_shapes: mcq('K'),
  hyperbaton: mcq('B'),
  logical_deduction_five_objects: mcq('E'),
  logical_deduction_seven_objects: mcq('G'),
  logical_deduction_three_objects: mcq('C'),
  movie_recommendation: mcq('E'),
  multistep_arithmetic_two: { type: 'integer', signed: true },
  navigate: { type: 'binary', choices: ['Yes', 'No'] },
  object_counting: { type: 'integer', signed: false },
  penguins_in_a_table: mcq('E'),
  reasoning_about_colored_objects: mcq('R'),
  ruin_names: mcq('D'),
  salient_translation_error_detection: mcq('F'),
  snarks: mcq('B'),
  sports_understanding: { type: 'binary', choices: ['yes', 'no'] },
  temporal_sequences: mcq('D'),
  tracking_shuffled_objects_five_objects: mcq('E'),
  tracking_shuffled_objects_seven_objects: mcq('G'),
  tracking_shuffled_objects_three_objects: mcq('C'),
  web_of_lies: { type: 'binary', choices: ['Yes', 'No'] },
  word_sorting: { type: 'text' },
};

/** README "Irregularities": data rows whose label is free text in an MCQ task. */
const MISFITS: Record<string, number[]> = { movie_recommendation: [163], ruin_names: [99, 144] };

test('the answer kind of every BBH file is detected from its labels', { skip: noBbh }, () => {
  for (const [task, expected] of Object.entries(EXPECTED)) {
    const ds = loadDataset(path.join(bbhDir, `${task}.json`));
    const det = detectAnswerKind(ds.examples.map((e) => e.label), ds.examples.map((e) => e.question));
    assert.deepEqual(det.kind, expected, task);
    const misfit = det.answers.flatMap((a, i) => (a === null ? [i] : []));
    assert.deepEqual(misfit, MISFITS[task] ?? [], `${task}: rows that do not fit`);
    // Canonical answers agree with the raw labels: "(B)" → "B", others unchanged (BBH has no commas or spaces to fix).
    det.answers.forEach((a, i) => {
      if (a !== null) assert.equal(a, ds.examples[i].label.replace(/^\((.)\)$/, '$1'), `${task} row ${i}`);
    });
  }
});

test('canonical answers per kind', () => {
  const k5 = mcq('E');
  assert.equal(canonicalAnswer('(A)', k5), 'A');
  assert.equal(canonicalAnswer(' C ', k5), 'C');
  assert.equal(canonicalAnswer('(F)', k5), null, 'outside the options');
  assert.equal(canonicalAnswer('(AB)', k5), null);
  const yn: AnswerKind = { type: 'binary', choices: ['Yes', 'No'] };
  assert.equal(canonicalAnswer('yes', yn), 'Yes');
  assert.equal(canonicalAnswer('NO', yn), 'No');
  assert.equal(canonicalAnswer('maybe', yn), null);
  const int: AnswerKind = { type: 'integer', signed: true };
  assert.equal(canonicalAnswer('2,125', int), '2125');
  assert.equal(canonicalAnswer('$18', int), '18');
  assert.equal(canonicalAnswer('-$5', int), '-5');
  assert.equal(canonicalAnswer('$-5', int), '-5');
  assert.equal(canonicalAnswer('−7', int), '-7');
  assert.equal(canonicalAnswer('-0', int), '0');
  assert.equal(canonicalAnswer('0042', int), '42');
  assert.equal(canonicalAnswer('12345678901234567890', int), '12345678901234567890', 'no float rounding');
  assert.equal(canonicalAnswer('3.5', int), null);
  assert.equal(canonicalAnswer('1,23', int), null);
  assert.equal(canonicalAnswer('-5', { type: 'integer', signed: false }), null);
  assert.equal(canonicalAnswer('  apple\n banana ', { type: 'text' }), 'apple banana');
});

test('detection: a structured kind needs 90% of the labels; bare letters count as MCQ', () => {
  const nine = [...'ABCABCABC'].map((l) => `(${l})`);
  assert.deepEqual(detectAnswerKind([...nine, 'free text'], []).kind, mcq('C'));
  assert.deepEqual(detectAnswerKind([...nine.slice(1), 'free text', 'more text'], []).kind, { type: 'text' });
  assert.deepEqual(detectAnswerKind(['A', 'B', 'D'], []).kind, mcq('D'));
  assert.deepEqual(detectAnswerKind(['(A)'], ['Q?\nOptions:\n(A) x\n(B) y\n(C) z']).kind, mcq('C'), 'options in the question count');
  assert.deepEqual(detectAnswerKind(['12', '-3', '1,000'], []).kind, { type: 'integer', signed: true });
  assert.deepEqual(detectAnswerKind(['12', '3'], []).kind, { type: 'integer', signed: false });
});

test('detection: binary casing follows the data, also when one word never occurs', () => {
  assert.deepEqual(detectAnswerKind(['no', 'no'], []).kind, { type: 'binary', choices: ['yes', 'no'] });
  assert.deepEqual(detectAnswerKind(['NO'], []).kind, { type: 'binary', choices: ['YES', 'NO'] });
  assert.deepEqual(detectAnswerKind(['False', 'false', 'False'], []).kind, { type: 'binary', choices: ['True', 'False'] });
  assert.deepEqual(detectAnswerKind(['Valid', 'invalid', 'Invalid', 'Invalid'], []).kind, { type: 'binary', choices: ['Valid', 'Invalid'] });
});

test('parsing MCQ completions: first capital letter after $ / ** / (', () => {
  const k = mcq('E');
  const cases: [string, string | null][] = [
    ['A$', 'A'], [' (B)', 'B'], ['**C**', 'C'], ['$D$.', 'D'], ['E) because', 'E'], ['\n\n`B`', 'B'],
    ['The answer is (E)', 'E'], ['So it must be C.', 'C'], ['Apple', null], ['none', null], ['', null],
  ];
  for (const [text, want] of cases) assert.equal(parseCompletion(text, k), want, JSON.stringify(text));
  assert.equal(isCorrect('C$', 'C', k), true);
  assert.equal(isCorrect('(A)', 'C', k), false);
});

test('parsing binary completions: first word, case-insensitive', () => {
  const yn: AnswerKind = { type: 'binary', choices: ['Yes', 'No'] };
  const cases: [string, string | null][] = [[' Yes$', 'Yes'], ['no, because', 'No'], ['**YES**', 'Yes'], ['Maybe yes', null], ['', null]];
  for (const [text, want] of cases) assert.equal(parseCompletion(text, yn), want, JSON.stringify(text));
  const vi: AnswerKind = { type: 'binary', choices: ['valid', 'invalid'] };
  assert.equal(parseCompletion(' invalid.', vi), 'invalid');
  assert.equal(parseCompletion('Valid', vi), 'valid');
  assert.equal(isCorrect(' invalid', 'valid', vi), false, '"invalid" is not "valid"');
  assert.equal(isCorrect('true', 'True', { type: 'binary', choices: ['True', 'False'] }), true);
});

test('parsing integer completions: first signed integer', () => {
  const k: AnswerKind = { type: 'integer', signed: true };
  const cases: [string, string | null][] = [
    ['14$', '14'], ['-3$', '-3'], ['$ -1,234$', '-1234'], ['$1,234 dollars', '1234'], ['**−7**', '-7'],
    ['5-3 = 2', '5'], ['The answer is 42.', '42'], ['007', '7'], ['12, 13', '12'], ['none', null],
  ];
  for (const [text, want] of cases) assert.equal(parseCompletion(text, k), want, JSON.stringify(text));
  assert.equal(isCorrect('$2,125$', '2125', k), true);
  assert.equal(isCorrect('-14', '14', k), false);
});

test('parsing free-text completions: first line, markup stripped, whitespace-normalised exact match', () => {
  const k: AnswerKind = { type: 'text' };
  assert.equal(parseCompletion('$ apple  banana cherry$\nExplanation: …', k), 'apple banana cherry');
  assert.equal(parseCompletion('  ] ]  ', k), '] ]');
  assert.equal(parseCompletion('\n', k), null);
  assert.equal(isCorrect(' apple banana.', 'apple banana', k), true, 'a closing period is tolerated');
  assert.equal(isCorrect(' Apple banana', 'apple banana', k), false, 'case matters');
  assert.equal(isCorrect(' apple banana cherry', 'apple banana', k), false);
});
