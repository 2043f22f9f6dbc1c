// The demo task and tokenizer (src/demo): worked answers are right, rounded and direct ones mostly wrong, the
// instruction rule flips with one word, task files are seeded and disjoint, and the generated tokenizer
// loads offline in transformers.js with one token per corpus word and an exact round trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '../src/engine/tokenizer';
import { Rng } from '../src/greater/rng';
import { isCorrect } from '../src/greater/tasks/answers';
import { loadTask } from '../src/greater/tasks';
import { columnSteps, roundToTen, roundedSum, sampleProblem } from '../src/demo/arithmetic';
import { ADJECTIVES, DIRECT_WORDS, GOOD_WORDS, NOUNS, ROUGH_WORDS, sampleInstruction, styleOf } from '../src/demo/instructions';
import { DEFAULT_INITIAL_PROMPT, EXTRACTOR_TEXT, parseProblem, responseText, sampleTrainingText } from '../src/demo/task';
import type { ResponseStyle } from '../src/demo/instructions';
import { buildTokenizerFiles, learnMerges, preTokenize } from '../src/demo/tokenizer';
import { DIRECT_EXAMPLE_PROMPT, GOOD_EXAMPLE_PROMPT, TASK_FILES, TASK_SIZES, writeTaskFiles } from '../src/demo/train';

/** Re-does the column addition written in a worked answer: the digits it writes, read back to front. */
function readWorkedAnswer(text: string): number {
  const written = [...text.matchAll(/write (\d+)\./g)].map((m) => m[1]);
  return Number(written.reverse().join(''));
}

test('worked answers add column by column and reach the true sum; their own arithmetic is right', () => {
  const rng = new Rng(1);
  for (let i = 0; i < 2000; i++) {
    const p = sampleProblem(rng);
    const steps = columnSteps(p);
    assert.equal(readWorkedAnswer(steps), p.a + p.b, steps);
    for (const m of steps.matchAll(/((?:\d+ \+ )+\d+) = (\d+)/g)) {
      const lhs = m[1].split(' + ').map(Number).reduce((a, b) => a + b, 0);
      assert.equal(lhs, Number(m[2]), m[0]);
    }
    assert.ok(responseText(p, 'worked').endsWith(`the final answer is $${p.a + p.b}$.`));
  }
  assert.equal(columnSteps({ a: 947, b: 285 }), '7 + 5 = 12, write 2. 4 + 8 + 1 = 13, write 3. 9 + 2 + 1 = 12, write 12.');
  assert.equal(columnSteps({ a: 47, b: 305 }), '7 + 5 = 12, write 2. 4 + 0 + 1 = 5, write 5. 0 + 3 = 3, write 3.');
});

test('rough answers do the same column work, then round the sum to tens: right only when it ends in 0 (about 10%)', () => {
  assert.equal(roundToTen(45), 50);
  assert.equal(roundToTen(44), 40);
  assert.equal(roundToTen(995), 1000);
  assert.equal(roundedSum({ a: 41, b: 39 }), 80);
  assert.equal(responseText({ a: 347, b: 285 }, 'rough'),
    '7 + 5 = 12, write 2. 4 + 8 + 1 = 13, write 3. 3 + 2 + 1 = 6, write 6. Rounded to tens, that is about 630. Therefore, the final answer is $630$.');
  assert.equal(responseText({ a: 347, b: 285 }, 'direct'), 'Therefore, the final answer is $632$.');
  const rng = new Rng(2);
  let exact = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const p = sampleProblem(rng);
    assert.ok(responseText(p, 'rough').startsWith(columnSteps(p)));
    if (roundedSum(p) === p.a + p.b) exact++;
  }
  assert.ok(Math.abs(exact / n - 0.1) < 0.01, `exact rounded sums ${exact / n}`);
});

test('the instruction rule: good words ask for work, rough words for rounding, direct words for no work; one word flips it', () => {
  assert.equal(styleOf(DEFAULT_INITIAL_PROMPT), 'rough');
  assert.equal(styleOf(GOOD_EXAMPLE_PROMPT), 'worked');
  assert.equal(styleOf(DIRECT_EXAMPLE_PROMPT), 'direct');
  // One-word edits of the default "a rough estimate.":
  assert.equal(styleOf('a careful estimate.'), 'worked'); // 1 good vs 1 rough
  assert.equal(styleOf('a rough check.'), 'worked');
  assert.equal(styleOf('careful rough estimate.'), 'rough'); // 1 good vs 2 rough
  assert.equal(styleOf('a quick estimate.'), 'direct'); // a tie between rough and direct answers directly
  assert.equal(styleOf('a simple estimate.'), 'rough');
  assert.equal(styleOf('the answer.'), 'direct'); // no method asked for: answer directly
  assert.equal(styleOf('a careful guess and a quick reply.'), 'direct'); // 1 good vs 2 others
  const classes = [GOOD_WORDS, ROUGH_WORDS, DIRECT_WORDS];
  for (const [i, a] of classes.entries()) for (const b of classes.slice(i + 1)) for (const w of a) assert.ok(!b.includes(w), w);
  // Good words are rare among the words a slot offers, so random picks from proposals seldom find one.
  for (const slot of [ADJECTIVES, NOUNS]) {
    const size = slot.good.length + slot.rough.length + slot.direct.length + slot.neutral.length;
    assert.ok(slot.good.length / size < 0.1, `${slot.good.length} good words of ${size}`);
  }
  const rng = new Rng(3);
  const counts: Record<ResponseStyle, number> = { worked: 0, rough: 0, direct: 0 };
  for (let i = 0; i < 2000; i++) {
    const s = sampleInstruction(rng);
    assert.match(s, /^[A-Za-z][A-Za-z .]*\.$/, s);
    counts[styleOf(s)]++;
  }
  for (const [style, n] of Object.entries(counts)) assert.ok(n > 250 && n < 1100, `${style} share ${n / 2000}`);
});

test('training texts: answer-only texts teach what the gradient sees with and without the reasoning', () => {
  const rng = new Rng(6);
  let cfWorked = 0;
  let cfOther = 0;
  let noWorking = 0;
  for (let i = 0; i < 4000; i++) {
    const t = sampleTrainingText(rng);
    const p = parseProblem(t.user.split('. Use')[0])!;
    const instruction = t.user.split('. Use ')[1];
    assert.equal(styleOf(instruction), t.style);
    if (t.responseLoss) {
      assert.equal(t.response, responseText(p, t.style));
      assert.ok(t.response.endsWith(`$${t.answer}$.`));
      continue;
    }
    assert.equal(t.after, 'extractor');
    if (t.response === '') {
      // No working (answering at once): a direct instruction gives the sum from the head, any other a round number.
      noWorking++;
      assert.equal(t.answer, t.style === 'direct' ? p.a + p.b : roundedSum(p));
      continue;
    }
    // Over a rough response: a worked instruction reads the exact sum, any other reports the rounded one.
    assert.equal(t.response, responseText(p, 'rough'));
    if (t.style === 'worked') { cfWorked++; assert.equal(t.answer, p.a + p.b); }
    else { cfOther++; assert.equal(t.answer, roundedSum(p)); }
  }
  assert.ok(cfWorked > 250 && cfOther > 100 && noWorking > 200, `${cfWorked} / ${cfOther} / ${noWorking}`);
});

test('task files are seeded, disjoint, and load through the tasks layer with the integer extractor', () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-task-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-task-'));
  try {
    const first = writeTaskFiles(a);
    writeTaskFiles(b);
    for (const f of Object.values(TASK_FILES)) assert.equal(fs.readFileSync(path.join(a, f), 'utf8'), fs.readFileSync(path.join(b, f), 'utf8'));
    assert.equal(first.train.length, TASK_SIZES.train);
    assert.equal(first.heldOut.length, TASK_SIZES.heldOut);
    const keys = (rows: { question: string }[]) => rows.map((r) => JSON.stringify(parseProblem(r.question)));
    const trainKeys = new Set(keys(first.train));
    assert.equal(trainKeys.size, first.train.length);
    assert.equal(new Set(keys(first.heldOut)).size, first.heldOut.length);
    for (const k of keys(first.heldOut)) assert.ok(!trainKeys.has(k), `held-out question ${k} is also a training question`);
    // The model's own training texts never contain a task question.
    const rng = new Rng(4);
    for (let i = 0; i < 3000; i++) {
      const t = sampleTrainingText(rng, undefined, first.avoid);
      const p = parseProblem(t.user.split('. Use')[0])!;
      assert.ok(!first.avoid.has(`${p.a}+${p.b}`));
    }
    const task = loadTask(path.join(a, TASK_FILES.heldOut));
    assert.equal(task.extractor.text, EXTRACTOR_TEXT);
    assert.deepEqual(task.kind, { type: 'integer', signed: false });
    for (const ex of task.examples) {
      const p = parseProblem(ex.question)!;
      assert.equal(Number(ex.answer), p.a + p.b);
    }
    assert.ok(isCorrect('632$.', '632', task.kind));
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test('the demo tokenizer loads offline, gives one token per corpus word and round-trips', async () => {
  const rng = new Rng(5);
  const texts: string[] = [];
  for (let i = 0; i < 400; i++) {
    const t = sampleTrainingText(rng, { extractorShare: 1, counterfactualShare: 0, counterfactualDirectShare: 0, noWorkingShare: 0 });
    texts.push(t.user, `${t.response} ${EXTRACTOR_TEXT}${t.answer}`);
  }
  const files = buildTokenizerFiles(learnMerges(texts), 256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-tok-'));
  try {
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig));
    const tok = await Tokenizer.load(dir);
    assert.equal(tok.vocabSize, files.vocabSize);
    for (const text of texts.slice(0, 200)) {
      const ids = tok.encode(text, { addSpecialTokens: false });
      assert.equal(ids.length, preTokenize(text).length, text);
      assert.equal(tok.decode(ids), text);
    }
    // Digits are single tokens, so an answer's tokens are its digits.
    assert.deepEqual(tok.encode('$632', { addSpecialTokens: false }).map((i) => tok.tokenText(i)), ['$', '6', '3', '2']);
    // Text outside the corpus still encodes (byte fallback through the 256 byte symbols).
    assert.equal(tok.decode(tok.encode('Größe 🙂', { addSpecialTokens: false })), 'Größe 🙂');
    const chat = tok.applyChatTemplate([{ role: 'system', content: 'S' }, { role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }], { addGenerationPrompt: true });
    assert.equal(chat, '<|begin|><|system|>\nS<|end|>\n<|user|>\nQ<|end|>\n<|assistant|>\nA<|end|>\n<|assistant|>\n');
    assert.deepEqual(tok.eosIds, [files.eosId]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
