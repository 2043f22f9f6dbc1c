// The committed built-in model (models/greater-demo) learned the task: with a good instruction it adds
// held-out numbers correctly (greedy reasoning, extractor, parsed answer), with the weak default it mostly
// estimates and is wrong. Also checks the folder is a complete, small HF model with a role chat template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { builtinDemo } from '../src/demo/builtin';
import { evaluateInstruction } from '../src/demo/evaluate';
import { GOOD_WORDS, WEAK_WORDS, styleOf } from '../src/demo/instructions';
import { promptText } from '../src/demo/encode';
import { EXTRACTOR_TEXT, REASONING_JOINER, userTurn } from '../src/demo/task';
import { TaskRow } from '../src/demo/task';

const repoRoot = path.resolve(__dirname, '..', '..');
const demo = builtinDemo(repoRoot);
const QUESTIONS = 200;

function readRows(file: string): TaskRow[] {
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TaskRow);
}

test('the demo folder is a complete HF Llama folder under 10 MB with a role chat template', () => {
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'task.json', 'README.md']) {
    assert.ok(fs.existsSync(path.join(demo.modelDir, f)), `${f} is missing from ${demo.modelDir}`);
  }
  assert.ok(fs.statSync(path.join(demo.modelDir, 'model.safetensors')).size <= 10 * 1024 * 1024);
  const config = JSON.parse(fs.readFileSync(path.join(demo.modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.model_type, 'llama');
  const tc = JSON.parse(fs.readFileSync(path.join(demo.modelDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  for (const role of ['system', 'user', 'assistant']) assert.ok(String(tc.chat_template).includes(`'${role}'`), role);
  const task = JSON.parse(fs.readFileSync(path.join(demo.modelDir, 'task.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(task.initialPrompt, demo.initialPrompt);
  assert.equal(task.extractorText, demo.extractorText);
  // Held-out questions are not optimisation questions.
  const train = new Set(readRows(demo.trainFile).map((r) => r.question));
  for (const r of readRows(demo.heldOutFile)) assert.ok(!train.has(r.question), r.question);
});

test('the committed demo model: a good prompt gets >= 90% held-out accuracy, the weak default far less', async () => {
  const rows = readRows(demo.heldOutFile).slice(0, QUESTIONS);
  assert.equal(rows.length, QUESTIONS);
  assert.equal(styleOf(demo.goodPrompt), 'worked');
  assert.equal(styleOf(demo.initialPrompt), 'estimate');
  const m = await LanguageModel.load(demo.modelDir);
  try {
    const good = await evaluateInstruction(m, rows, demo.goodPrompt);
    const weak = await evaluateInstruction(m, rows, demo.initialPrompt);
    process.stdout.write(`# demo held-out accuracy: "${demo.goodPrompt}" ${good.correct}/${good.total}, "${demo.initialPrompt}" ${weak.correct}/${weak.total}\n`);
    assert.ok(good.accuracy >= 0.9, `good prompt: ${good.correct}/${good.total}`);
    assert.ok(weak.accuracy <= 0.3, `weak prompt: ${weak.correct}/${weak.total}`);
    assert.ok(good.accuracy - weak.accuracy >= 0.5);
    // The styles are what the instructions ask for: column work vs a rounded estimate.
    assert.ok(good.items.filter((x) => x.reasoning.includes(', write ')).length >= 0.95 * QUESTIONS);
    assert.ok(weak.items.filter((x) => x.reasoning.startsWith('About ')).length >= 0.95 * QUESTIONS);
  } finally {
    await m.dispose();
  }
});

/** Mean answer CE after the extractor, teacher-forced over fixed reasoning, under `instruction`. */
async function answerLoss(m: LanguageModel, rows: TaskRow[], instruction: string, reasonings: number[][]): Promise<number> {
  const enc = (s: string) => m.encode(s, { addSpecialTokens: false });
  const items = rows.map((r, k) => {
    const ids = [...enc(promptText(m, userTurn(r.question, instruction))), ...reasonings[k], ...enc(REASONING_JOINER + EXTRACTOR_TEXT + r.answer)];
    const n = r.answer.length;
    return { ids, targets: [...r.answer].map((_, j) => ({ position: ids.length - n + j - 1, id: ids[ids.length - n + j] })), gradPositions: [0] };
  });
  const res = await m.inputGradient(items);
  return res.reduce((a, r) => a + r.loss, 0) / res.length;
}

test('over the weak prompt\'s own reasoning, one good word in place of a weak one lowers the answer loss', async () => {
  const rows = readRows(demo.trainFile).slice(0, 24);
  const m = await LanguageModel.load(demo.modelDir);
  try {
    for (const w of GOOD_WORDS) assert.equal(m.encode(' ' + w, { addSpecialTokens: false }).length, 1, w);
    const enc = (s: string) => m.encode(s, { addSpecialTokens: false });
    const gens = await m.generate(rows.map((r) => enc(promptText(m, userTurn(r.question, demo.initialPrompt)))), { maxNewTokens: 96 });
    const reasonings = gens.map((g) => g.ids);
    const weak = await answerLoss(m, rows, demo.initialPrompt, reasonings);
    const edits = ['a careful guess.', 'a quick reasoning.'];
    const edited: number[] = [];
    for (const e of edits) edited.push(await answerLoss(m, rows, e, reasonings));
    process.stdout.write(`# answer CE over the estimate reasoning: "${demo.initialPrompt}" ${weak.toFixed(2)}, ${edits.map((e, i) => `"${e}" ${edited[i].toFixed(2)}`).join(', ')}\n`);
    for (const l of edited) assert.ok(l < 0.5 * weak, `edited ${l} vs weak ${weak}`);
    assert.ok(WEAK_WORDS.includes('quick') && GOOD_WORDS.includes('careful') && GOOD_WORDS.includes('reasoning'));
  } finally {
    await m.dispose();
  }
});
