// Dataset loading: every real fixture file, line numbers, field mapping, and one test per bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempFiles, throwsUser } from './helpers/files';
import { loadDataset, parseDelimited } from '../src/greater/tasks';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');
const bbhDir = path.join(fixtures, 'bbh');
const noBbh = fs.existsSync(path.join(bbhDir, 'README.md')) ? false : `fixtures not found at ${bbhDir}`;
const noGsm = fs.existsSync(path.join(fixtures, 'gsm8k', 'README.md')) ? false : `fixtures not found at ${fixtures}/gsm8k`;
const noFolio = fs.existsSync(path.join(fixtures, 'folio', 'README.md')) ? false : `fixtures not found at ${fixtures}/folio`;
if (noBbh) console.log(`# skipping fixture tests: ${noBbh}`);

/** Row counts from the fixtures README table ("| file.json | 250 | …"). */
function readmeCounts(dir: string): Map<string, number> {
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  return new Map([...readme.matchAll(/^\| ([\w./]+\.(?:json|jsonl|csv|tsv)) \| (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}

const tmpFile = tempFiles('greater-tasks-');

test('every BBH file loads with the README row count and goal/final_target columns', { skip: noBbh }, () => {
  const counts = readmeCounts(bbhDir);
  assert.equal(counts.size, 27, 'README lists 27 files');
  let total = 0;
  for (const [file, rows] of counts) {
    const ds = loadDataset(path.join(bbhDir, file));
    assert.equal(ds.examples.length, rows, file);
    assert.equal(ds.format, 'csv', `${file} is CSV inside .json`);
    assert.equal(ds.questionField, 'goal');
    assert.equal(ds.answerField, 'final_target');
    assert.deepEqual(ds.examples.map((e) => e.index), ds.examples.map((_, i) => i));
    total += ds.examples.length;
  }
  assert.equal(total, 6511);
});

test('each example keeps the line its record starts on', { skip: noBbh }, () => {
  for (const file of ['date_understanding.json', 'sports_understanding.json', 'word_sorting.json', 'movie_recommendation.json']) {
    const p = path.join(bbhDir, file);
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    const ds = loadDataset(p);
    let prev = 1;
    for (const e of ds.examples) {
      assert.ok(e.line > prev, `${file}: lines increase`);
      prev = e.line;
      // The physical line holds the start of the question, quoted (quotes doubled) when it needs to be.
      const firstLine = e.question.split('\n')[0];
      const quoted = '"' + firstLine.replace(/"/g, '""');
      assert.ok(lines[e.line - 1].startsWith(quoted) || lines[e.line - 1].startsWith(firstLine + ','),
        `${file}:${e.line} does not start with question ${e.index}`);
    }
  }
});

test('multi-line quoted goals keep their newlines and doubled quotes', { skip: noBbh }, () => {
  const date = loadDataset(path.join(bbhDir, 'date_understanding.json')).examples[0];
  assert.match(date.question, /\nOptions:\n\(A\) [^\n]+\n\(B\)/);
  const sports = loadDataset(path.join(bbhDir, 'sports_understanding.json')).examples;
  assert.ok(sports.every((e) => /^Is the following sentence plausible\? "[^"]+"$/.test(e.question)));
  // README: movie_recommendation data row 163 is the quoted free-text label "Monsters, Inc".
  assert.equal(loadDataset(path.join(bbhDir, 'movie_recommendation.json')).examples[163].label, 'Monsters, Inc');
});

test('GSM8K: jsonl "#### N" answers become the number and agree with the processed CSV', { skip: noGsm }, () => {
  const jsonl = loadDataset(path.join(fixtures, 'gsm8k', 'data', 'test.jsonl'));
  const csv = loadDataset(path.join(fixtures, 'gsm8k', 'processed', 'test_new.csv'));
  assert.equal(jsonl.format, 'jsonl');
  assert.equal(jsonl.questionField, 'question');
  assert.equal(jsonl.answerField, 'answer');
  assert.equal(jsonl.examples.length, 1319);
  assert.equal(csv.examples.length, 1319);
  for (let i = 0; i < 1319; i++) {
    assert.equal(jsonl.examples[i].question, csv.examples[i].question);
    assert.equal(jsonl.examples[i].label, csv.examples[i].label.replace(/,/g, ''), `row ${i}`);
    assert.match(jsonl.examples[i].label, /^-?\d+(\.\d+)?$/);
    assert.equal(jsonl.examples[i].line, i + 1);
  }
  assert.ok(csv.examples.some((e) => e.label.includes(',')), 'the CSV keeps thousands commas that the jsonl path removed');
});

test('GSM8K train.tsv (tab-separated, quoted multi-line targets) and dev.csv load', { skip: noGsm }, () => {
  const tsv = loadDataset(path.join(fixtures, 'gsm8k', 'train.tsv'));
  assert.equal(tsv.format, 'tsv');
  assert.equal(tsv.examples.length, 100);
  assert.ok(tsv.examples.every((e) => /^\d+$/.test(e.label)));
  assert.equal(loadDataset(path.join(fixtures, 'gsm8k', 'dev.csv')).examples.length, 100);
});

test('GSM8K test.csv: the malformed row 707 is reported at its line', { skip: noGsm }, () => {
  throwsUser(() => loadDataset(path.join(fixtures, 'gsm8k', 'test.csv')), /test\.csv:2524: expected 3 fields \(goal, target, final_target\), found 5/);
});

test('FOLIO splits load with README counts', { skip: noFolio }, () => {
  const counts = readmeCounts(path.join(fixtures, 'folio'));
  assert.equal(counts.size, 3);
  for (const [file, rows] of counts) assert.equal(loadDataset(path.join(fixtures, 'folio', file)).examples.length, rows, file);
});

// --- formats on small hand-written files --------------------------------------------------------------

test('csv reader: quoting, doubled quotes, multi-line fields, CRLF, BOM, trailing empty field', () => {
  const recs = parseDelimited('a,b,c\n"x, y","say ""hi""","l1\nl2"\n\nq,,\n', ',', 'f');
  assert.deepEqual(recs.map((r) => r.fields), [['a', 'b', 'c'], ['x, y', 'say "hi"', 'l1\nl2'], ['q', '', '']]);
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 5]);
  const p = tmpFile('crlf.csv', '\uFEFFquestion,answer\r\n"two\r\nlines",Yes\r\nq2,No\r\n');
  const ds = loadDataset(p);
  assert.deepEqual(ds.columns, ['question', 'answer']);
  assert.deepEqual(ds.examples.map((e) => [e.question, e.label, e.line]), [['two\nlines', 'Yes', 2], ['q2', 'No', 4]]);
});

test('json array, {"examples": [...]}, and jsonl under .json keep line numbers', () => {
  const arr = loadDataset(tmpFile('arr.json', '[\n  {"input": "q1", "target": "(A)"},\n  {"input": "q2,\\"x\\"",\n   "target": 3}\n]\n'));
  assert.equal(arr.format, 'json');
  assert.deepEqual(arr.examples.map((e) => [e.question, e.label, e.line]), [['q1', '(A)', 2], ['q2,"x"', '3', 3]]);
  const upstream = loadDataset(tmpFile('bbh_upstream.json', '{"canary": "x [y]",\n "examples": [\n {"input": "a", "target": "Yes"},\n\n {"input": "b", "target": "No"}]}'));
  assert.deepEqual(upstream.examples.map((e) => [e.question, e.label, e.line]), [['a', 'Yes', 3], ['b', 'No', 5]]);
  const lines = loadDataset(tmpFile('lines.json', '{"prompt": "p1", "label": "x"}\n\n{"prompt": "p2", "label": "y"}\n'));
  assert.equal(lines.format, 'jsonl');
  assert.deepEqual(lines.examples.map((e) => e.line), [1, 3]);
  const one = loadDataset(tmpFile('one.json', '{"question": "q", "answer": "(A)"}\n'));
  assert.deepEqual([one.format, one.examples.length, one.examples[0].label], ['jsonl', 1, '(A)']);
});

test('explicit --question-field / --answer-field override auto-detection', () => {
  const p = tmpFile('fields.csv', 'id,text,gold,answer\n1,hello,B,zzz\n');
  const ds = loadDataset(p, { questionField: 'text', answerField: 'gold' });
  assert.deepEqual([ds.examples[0].question, ds.examples[0].label], ['hello', 'B']);
  assert.equal(loadDataset(p, { questionField: 'text' }).examples[0].label, 'zzz', 'answer auto-detected');
});

// --- bad input: one test each ----------------------------------------------------------------------------

test('bad input: empty file', () => {
  throwsUser(() => loadDataset(tmpFile('empty.csv', '')), /empty\.csv: the file is empty/);
  throwsUser(() => loadDataset(tmpFile('empty.jsonl', '\n\n')), /empty\.jsonl: the file is empty/);
});

test('bad input: header only / empty JSON array', () => {
  throwsUser(() => loadDataset(tmpFile('header.csv', 'goal,target,final_target\n')), /header\.csv: no examples/);
  throwsUser(() => loadDataset(tmpFile('none.json', '[]')), /none\.json: no examples/);
});

test('bad input: no recognisable column lists the columns found', () => {
  throwsUser(() => loadDataset(tmpFile('cols.csv', 'foo,bar\n1,2\n')), /cols\.csv: cannot tell which column holds the question/, /columns found: foo, bar/, /--question-field/);
  throwsUser(() => loadDataset(tmpFile('cols2.csv', 'question,bar\n1,2\n')), /holds the answer/, /columns found: question, bar/);
});

test('bad input: an explicit field that does not exist lists the columns found', () => {
  throwsUser(() => loadDataset(tmpFile('explicit.csv', 'question,answer\nq,a\n'), { answerField: 'gold' }),
    /explicit\.csv: no column 'gold' for the answer \(--answer-field\); columns found: question, answer/);
});

test('bad input: wrong field count names the line', () => {
  throwsUser(() => loadDataset(tmpFile('count.csv', 'question,answer\nq1,a\n"q2\nmore",a,extra\n')), /count\.csv:3: expected 2 fields \(question, answer\), found 3/);
});

test('bad input: unterminated quote names the line it opened on', () => {
  throwsUser(() => loadDataset(tmpFile('unterm.csv', 'question,answer\nq1,a\n"q2,a\nq3,b\n')), /unterm\.csv:3: quoted field never closed/);
});

test('bad input: text after a closing quote', () => {
  throwsUser(() => loadDataset(tmpFile('afterq.csv', 'question,answer\n"q1"x,a\n')), /afterq\.csv:2: unexpected "x" after the closing quote/);
});

test('bad input: invalid JSON line in jsonl', () => {
  throwsUser(() => loadDataset(tmpFile('bad.jsonl', '{"question": "q", "answer": "1"}\n{"question": "q2", "answer": }\n')), /bad\.jsonl:2: not valid JSON/);
});

test('bad input: invalid JSON document names the line when the parser gives a position', () => {
  throwsUser(() => loadDataset(tmpFile('bad.json', '[\n{"question": "q", "answer": "1"},\n{"question" "q2"}\n]')), /bad\.json:3: not valid JSON/);
});

test('bad input: JSON that is not a list of objects', () => {
  throwsUser(() => loadDataset(tmpFile('obj.json', '{\n  "rows": []\n}')), /obj\.json: expected a JSON array of objects.*keys rows/);
  throwsUser(() => loadDataset(tmpFile('strs.json', '[\n"a",\n"b"]')), /strs\.json:2: expected a JSON object/);
});

test('bad input: a row missing the answer key, or with a null / nested value', () => {
  throwsUser(() => loadDataset(tmpFile('missing.jsonl', '{"question": "q", "answer": "1"}\n{"question": "q2"}\n')), /missing\.jsonl:2: field 'answer' is missing/);
  throwsUser(() => loadDataset(tmpFile('null.jsonl', '{"question": "q", "answer": null}\n')), /null\.jsonl:1: field 'answer' is null/);
  throwsUser(() => loadDataset(tmpFile('nested.jsonl', '{"question": "q", "answer": [1]}\n')), /nested\.jsonl:1: field 'answer' is an array/);
});

test('bad input: empty question', () => {
  throwsUser(() => loadDataset(tmpFile('emptyq.csv', 'question,answer\nq1,a\n  ,b\n')), /emptyq\.csv:3: empty question in column 'question'/);
});

test('bad input: empty answer', () => {
  throwsUser(() => loadDataset(tmpFile('emptya.tsv', 'question\tanswer\nq1\t\n')), /emptya\.tsv:2: empty answer in column 'answer'/);
});

test('bad input: unsupported extension and missing file', () => {
  throwsUser(() => loadDataset(tmpFile('data.txt', 'x')), /data\.txt: unsupported file type '\.txt'/);
  throwsUser(() => loadDataset(path.join(os.tmpdir(), 'no-such-dir-greater', 'x.csv')), /x\.csv: cannot read the dataset \(no such file\)/);
});

test('bad input: duplicate header column', () => {
  throwsUser(() => loadDataset(tmpFile('dup.csv', 'question,answer,answer\nq,a,b\n')), /dup\.csv:1: column 'answer' appears twice/);
});
