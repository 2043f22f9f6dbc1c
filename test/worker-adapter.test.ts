// The worker's adapter over the optimizer, on real files: the dataset preview that feeds the panel's column
// mapper and extractor picker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createOptimizerService } from '../src/worker/adapter';
import { tempFiles } from './helpers/files';
import { writeTinyModel } from './helpers/tiny-models';

const file = tempFiles('greater-adapter-');
const service = createOptimizerService({
  modelDir: () => { throw new Error('no built-in model in this test'); },
  taskFile: () => { throw new Error('no built-in task in this test'); },
});

const rows = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i, problem: `What is ${i} + 1?`, solution: String(i + 1) })).join('\n');

test('a file whose columns are not named question/answer gets a preview of its own columns to map', async () => {
  const f = file('odd.jsonl', rows);
  const p = await service.previewDataset({ dataset: { path: f }, rows: 3 });
  assert.deepEqual(p.columns, ['id', 'problem', 'solution']);
  assert.equal(p.total, 6);
  assert.deepEqual(p.rows[0], { id: '0', problem: 'What is 0 + 1?', solution: '1' });
  assert.match(p.needsMapping ?? '', /Choose which column holds the question and which holds the answer \(this file has id, problem, solution\)/);
  assert.doesNotMatch(p.needsMapping ?? '', /--question-field/, 'no CLI flag in the panel');

  const mapped = await service.previewDataset({ dataset: { path: f }, rows: 3, questionField: 'problem', answerField: 'solution' });
  assert.equal(mapped.needsMapping, undefined);
  assert.deepEqual(mapped.rows[1], { problem: 'What is 1 + 1?', solution: '2' });
  assert.ok(mapped.extractorPresets.length > 0);

  const same = await service.previewDataset({ dataset: { path: f }, rows: 3, questionField: 'problem', answerField: 'problem' });
  assert.match(same.needsMapping ?? '', /cannot both come from column 'problem'/);
});

test('extractor presets carry plain-language names, one per distinct extractor text, the default first', async () => {
  const nums = file('sums.csv', 'question,answer\n' + Array.from({ length: 8 }, (_, i) => `"What is ${i} + 2?",${i + 2}`).join('\n'));
  const p = await service.previewDataset({ dataset: { path: nums }, rows: 2 });
  assert.equal(p.extractorPresets[0].name, p.defaultPreset);
  assert.equal(p.extractorPresets[0].label, 'number (0 or more) (detected)');
  const texts = p.extractorPresets.map((x) => x.text);
  assert.equal(new Set(texts).size, texts.length, 'no two entries with the same text');
  for (const x of p.extractorPresets) assert.doesNotMatch(x.label, /_/, `${x.name}: a benchmark task name as label (${x.label})`);
  const mcq = file('letters.csv', 'question,answer\n' + 'ABCDE'.split('').map((l) => `"Pick ${l}",(${l})`).join('\n'));
  const m = await service.previewDataset({ dataset: { path: mcq }, rows: 2 });
  assert.ok(m.extractorPresets.some((x) => x.label.startsWith('multiple choice (A)–(E)')), JSON.stringify(m.extractorPresets.map((x) => x.label)));
  const yn = file('yn.csv', 'question,answer\n' + Array.from({ length: 6 }, (_, i) => `"Is ${i} even?",${i % 2 ? 'No' : 'Yes'}`).join('\n'));
  const y = await service.previewDataset({ dataset: { path: yn }, rows: 2 });
  assert.ok(y.extractorPresets.some((x) => x.label.startsWith('yes/no')), JSON.stringify(y.extractorPresets.map((x) => x.label)));
});

test('run/estimate times the run on its own model for a few seconds and extrapolates (no name-based guess)', async () => {
  const dir = path.join(path.dirname(file('placeholder.txt', '')), 'model');
  writeTinyModel(dir, 'llama', { seed: 3 });
  const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ question: `Is ${i} larger than 4?\nOptions:\n(A) yes\n(B) no`, answer: i > 4 ? '(A)' : '(B)' }));
  const task = file('compare.jsonl', rows.join('\n'));
  const base = {
    model: dir, device: 'cpu' as const, dataset: { path: task }, extractor: { preset: 'auto' }, seed: 1,
    initialPrompt: 'Answer the question.', topK: 4, topQ: 2, trainSize: 4,
  };
  const two = await service.estimateRun({ ...base, steps: 2 }, new AbortController().signal);
  assert.ok(two.stepSeconds > 0 && two.evaluationSeconds > 0, JSON.stringify(two));
  // the probe's reasoning covered the whole training set (4 samples, one batch): no start reasoning is left to do
  assert.equal(two.startSeconds, 0, JSON.stringify(two));
  assert.ok(two.probeSeconds > 0);
  assert.match(two.summary, /^estimate: about .* for 2 steps .*measured here in/);
  // the total is the parts: start + steps × step + held-out check
  assert.ok(Math.abs(two.totalSeconds - (two.startSeconds + 2 * two.stepSeconds + two.evaluationSeconds)) < 1e-6);
});

test('the dry run shows the exact model input of its first sample: the template around the prompt and the question', async () => {
  const dir = path.join(path.dirname(file('placeholder2.txt', '')), 'model-dry');
  writeTinyModel(dir, 'llama', { seed: 5 });
  const rows = Array.from({ length: 6 }, (_, i) => JSON.stringify({ question: `Is ${i} larger than 2?\nOptions:\n(A) yes\n(B) no`, answer: i > 2 ? '(A)' : '(B)' }));
  const task = file('dry.jsonl', rows.join('\n'));
  const r = await service.checkExtractor({
    model: dir, device: 'cpu', dataset: { path: task }, extractor: { preset: 'auto' }, seed: 1, prompt: 'Think it over.', samples: 2,
    context: { prefix: 'System: ', suffix: '\nQ: {question}\nA:', questionPlaceholder: '{question}' },
  }, new AbortController().signal);
  assert.equal(r.samples.length, 2);
  const input = r.modelInput ?? '';
  const at = input.indexOf('System: Think it over.\nQ: ');
  assert.ok(at >= 0, JSON.stringify(input));
  // the first sample's own question follows (in the file's order or the seeded split's: one of the rows), then the
  // suffix; the chat template wraps it all (this tiny Llama's has a user turn and opens the assistant's)
  assert.ok(rows.some((row) => input.includes(`Q: ${JSON.parse(row).question}\nA:`)), JSON.stringify(input));
  assert.match(input, /<\|start_header_id\|>user<\|end_header_id\|>[\s\S]*System: Think it over\.[\s\S]*<\|start_header_id\|>assistant<\|end_header_id\|>\s*$/);
});

test('engine/check answers with the load\'s own one-line refusal per field, before any model', async () => {
  const fp16 = await service.checkEngine({ device: 'cpu', quantize: 'none', precision: 'fp16' });
  assert.equal(fp16.resolvedDevice, 'cpu');
  assert.deepEqual(Object.keys(fp16.refusals), ['precision']);
  assert.match(fp16.refusals.precision ?? '', /fp16 runs on WebGPU only .*not on cpu/);
  assert.deepEqual(await service.checkEngine({ device: 'cpu', quantize: 'int4', precision: 'fp32' }), { resolvedDevice: 'cpu', refusals: {} });
  assert.deepEqual((await service.checkEngine({ device: 'cpu', quantize: 'auto', precision: 'auto' })).refusals, {});
});

test('run/start puts the budget preset, the sizes given over it, and the quantization into run.json', async () => {
  const dir = path.join(path.dirname(file('placeholder3.txt', '')), 'model-budget');
  writeTinyModel(dir, 'llama', { seed: 6 });
  const rows = Array.from({ length: 8 }, (_, i) => JSON.stringify({ question: `Is ${i} larger than 4?\nOptions:\n(A) yes\n(B) no`, answer: i > 4 ? '(A)' : '(B)' }));
  const task = file('budget.jsonl', rows.join('\n'));
  const runsDir = path.join(path.dirname(task), 'runs');
  const never = new AbortController();
  let runDir = '';
  for await (const e of service.startRun({
    model: dir, device: 'cpu', dataset: { path: task }, extractor: { preset: 'auto' }, seed: 1, initialPrompt: 'Answer the question.',
    steps: 1, topK: 4, topQ: 2, trainSize: 4, budget: 'quick', maxNewTokens: 8, quantize: 'int8', runsDir,
  }, { soft: never.signal, hard: never.signal })) {
    if (e.kind === 'run-started') runDir = e.runDir;
    assert.notEqual(e.kind, 'error', JSON.stringify(e));
  }
  const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
  assert.equal(meta.quantize, 'int8');
  assert.equal(meta.precision, undefined, 'fp32 is the default and not recorded');
  // quick's held-out size and top-k... except where the request gave its own
  assert.deepEqual([meta.config.heldOutSize, meta.config.maxNewTokens, meta.config.trainSize, meta.config.steps, meta.config.topK], [27, 8, 4, 1, 4]);
});
