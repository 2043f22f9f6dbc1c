// The committed built-in model (models/greater-demo) learned the task: with a good instruction it adds
// held-out numbers correctly (greedy reasoning, extractor, parsed answer), with the weak default it rounds
// and is mostly wrong, with a direct wording it skips the work. Over the weak prompt's own reasoning, the
// gradient of GReaTer ranks the good words first — the signal the optimizer relies on.
// Also checks the folder is a complete, small HF model with a role chat template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { builtinDemo } from '../src/demo/builtin';
import { evaluateInstruction } from '../src/demo/evaluate';
import { ADJECTIVES, GOOD_WORDS, styleOf } from '../src/demo/instructions';
import { DIRECT_EXAMPLE_PROMPT } from '../src/demo/train';
import { buildLayout } from '../src/greater/layout';
import { candidateScores, controlGradient, rankCandidates } from '../src/greater/gradient';
import { scoreControl } from '../src/greater/scorer';
import { loadTask } from '../src/greater/tasks';
import type { TaskRow } from '../src/demo/task';

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
  assert.equal(styleOf(demo.goodPrompt), 'worked');
  assert.equal(styleOf(demo.initialPrompt), 'rough');
  assert.equal(styleOf(DIRECT_EXAMPLE_PROMPT), 'direct');
  const m = await LanguageModel.load(demo.modelDir);
  try {
    const good = await evaluateInstruction(m, demo.heldOutFile, demo.goodPrompt, QUESTIONS);
    const weak = await evaluateInstruction(m, demo.heldOutFile, demo.initialPrompt, QUESTIONS);
    const direct = await evaluateInstruction(m, demo.heldOutFile, DIRECT_EXAMPLE_PROMPT, QUESTIONS);
    assert.equal(good.total, QUESTIONS);
    process.stdout.write(`# demo held-out accuracy: "${demo.goodPrompt}" ${good.correct}/${good.total}, "${demo.initialPrompt}" ${weak.correct}/${weak.total}, "${DIRECT_EXAMPLE_PROMPT}" ${direct.correct}/${direct.total}\n`);
    assert.ok(good.accuracy >= 0.9, `good prompt: ${good.correct}/${good.total}`);
    assert.ok(weak.accuracy <= 0.3, `weak prompt: ${weak.correct}/${weak.total}`);
    assert.ok(direct.accuracy <= 0.6, `direct prompt: ${direct.correct}/${direct.total}`);
    // The styles are what the instructions ask for: column work; column work then rounding; no work.
    const n = (r: typeof good, f: (s: string) => boolean) => r.examples.filter((x) => f(x.reasoning)).length;
    assert.ok(n(good, (s) => s.includes(', write ') && !s.includes('Rounded')) >= 0.95 * QUESTIONS);
    assert.ok(n(weak, (s) => s.includes(', write ') && s.includes('Rounded to tens')) >= 0.95 * QUESTIONS);
    assert.ok(n(direct, (s) => !s.includes(', write ')) >= 0.95 * QUESTIONS);
  } finally {
    await m.dispose();
  }
});

test('over the weak prompt\'s own reasoning, GReaTer\'s gradient ranks the good adjectives above all others', async () => {
  const task = loadTask(demo.trainFile);
  const examples = task.examples.slice(0, 24);
  const m = await LanguageModel.load(demo.modelDir);
  try {
    for (const w of GOOD_WORDS) assert.equal(m.encode(' ' + w, { addSpecialTokens: false }).length, 1, w);
    const layout = buildLayout(m, examples, { template: demo.promptTemplate, joiner: demo.reasoningJoiner, extractorText: demo.extractorText });
    const ctrl = layout.encodeControl(demo.initialPrompt); // " a", " rough", " estimate", "."
    const pos = 1;
    assert.equal(m.decode([ctrl[pos]]), ' rough');
    const scored = await scoreControl(m, layout, ctrl, ctrl, { batchSize: 24, maxNewTokens: 96, selectionWeight: 0.02 }, () => {});
    const rank = async (reasonings: number[][]) => {
      const g = await controlGradient(m, layout, ctrl, reasonings, { answerTemperature: 0.2, controlWeight: 0.2, batchSize: 24 }, () => {});
      const words = [...ADJECTIVES.good, ...ADJECTIVES.rough, ...ADJECTIVES.direct, ...ADJECTIVES.neutral].filter((w) => w !== 'rough');
      const ids = words.map((w) => m.encode(' ' + w, { addSpecialTokens: false })[0]);
      return rankCandidates(ids, candidateScores(m, ids, g.sum[pos])).map((r) => m.decode([r.id]).trim());
    };
    const withReasoning = await rank(scored.reasonings);
    const without = await rank(scored.reasonings.map(() => []));
    process.stdout.write(`# ranking at "rough" over the reasoning: ${withReasoning.slice(0, 6).join(', ')}; without it: ${without.slice(0, 6).join(', ')}\n`);
    assert.deepEqual(withReasoning.slice(0, ADJECTIVES.good.length).sort(), [...ADJECTIVES.good].sort());
  } finally {
    await m.dispose();
  }
});

test('extractor-check with no --model/--task dry-runs the built-in demo with the demo\'s own prompt, so the extractor is read', () => {
  const bin = path.join(repoRoot, 'bin', 'greater.js');
  const r = spawnSync(process.execPath, [bin, 'extractor-check', '--samples', '3', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { problems: string[]; samples: { reasoning: string; answer: string | null }[] };
  assert.equal(out.samples.length, 3);
  assert.deepEqual(out.problems, []);
  // the weak default's style (column work, then rounding) and an answer after the extractor, in every sample
  for (const s of out.samples) {
    assert.match(s.reasoning, /, write .*Rounded to tens/, s.reasoning);
    assert.notEqual(s.answer, null, s.reasoning);
  }
});
