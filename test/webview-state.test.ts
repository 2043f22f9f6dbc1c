// The panel's pure state module (src/webview/state.ts): messages from the extension and run events reduce the
// view model without a DOM; the run view is the shared fold plus the panel's own phase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreAxis } from '../src/webview/axis';
import {
  applyAdvice, applyMessage, chooseBudget, completeForm, currentEstimate, engineKey, estimateKey, formProblems, initialState, setSize, startRequest, useDemoDataset,
} from '../src/webview/state';
import { BUDGET_PRESETS } from '../src/worker/protocol';
import { BUDGETS } from '../src/greater/budgets';
import type { DatasetPreviewResult } from '../src/shared/panelMessages';

const settings = { model: 'demo', device: 'cpu' as const, steps: 3, topK: 5, topQ: 2, trainSize: 4, seed: 7 };

test('a run goes running → failed (resumable) → running again on resume, keeping its first prompt', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  applyMessage(s, { type: 'event', runId: 'r', event: { kind: 'run-started', runId: 'r', runDir: '/r', totalSteps: 3, initialPrompt: 'a', model: 'demo', task: 'demo' } });
  assert.equal(s.run.state, 'running');
  applyMessage(s, { type: 'event', runId: 'r', event: { kind: 'error', message: 'killed', resumable: true } });
  assert.deepEqual([s.run.state, s.run.message, s.run.resumable], ['failed', 'killed', true]);
  applyMessage(s, { type: 'event', runId: 'r', event: { kind: 'run-started', runId: 'r', runDir: '/r', totalSteps: 3, initialPrompt: 'b', model: 'demo', task: 'demo' } });
  assert.equal(s.run.state, 'running');
  assert.equal(s.run.initialPrompt, 'a');
});

test('a failed start returns a starting run to idle; the form submits its settings and the demo dataset', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true, runId: 'a new session' });
  s.run.state = 'starting';
  applyMessage(s, { type: 'requestError', request: 'start', message: 'no model' });
  assert.deepEqual([s.run.state, s.startError], ['idle', 'no model']);
  const r = startRequest(s.form);
  assert.deepEqual([r.seed, r.device, r.dataset], [7, 'cpu', { builtin: 'demo' }]);
});

const preview = (over: Partial<DatasetPreviewResult> = {}): DatasetPreviewResult => ({
  format: 'jsonl', columns: ['question', 'answer'], rows: [{ question: 'q', answer: 'a' }], total: 20,
  suggested: { questionField: 'question', answerField: 'answer' },
  extractorPresets: [{ name: 'auto', label: 'number (detected)', description: '', text: 'is $' }], defaultPreset: 'auto', ...over,
});

test('a new dataset forgets the previous one: preview, column mapping, preset and dry run', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  applyMessage(s, { type: 'preview', result: preview() });
  applyMessage(s, { type: 'extractorCheck', result: { samples: [{ question: 'q', gold: 'a', reasoning: '', extracted: 'a', correct: true }] } });
  assert.deepEqual([s.form.questionField, s.form.answerField, s.form.preset], ['question', 'answer', 'auto']);
  applyMessage(s, { type: 'datasetPicked', path: '/ws/other.csv' });
  assert.deepEqual([s.form.datasetPath, s.form.questionField, s.form.answerField, s.form.preset], ['/ws/other.csv', '', '', '']);
  assert.equal(s.preview, undefined, 'the old columns are not offered for the new file');
  assert.equal(s.check, undefined, 'the old dry run is not shown for the new file');
  applyMessage(s, { type: 'preview', result: preview({ columns: ['problem', 'solution'], suggested: {} }) });
  applyMessage(s, { type: 'extractorCheck', result: { samples: [] } });
  useDemoDataset(s);
  assert.deepEqual([s.form.datasetKind, s.form.datasetPath, s.preview, s.check], ['demo', '', undefined, undefined]);
});

test('a cancelled file dialog leaves the form on its dataset and releases the file radio', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  s.busy.pick = true; // the file radio was clicked: it shows checked while the dialog is open
  applyMessage(s, { type: 'datasetPicked' });
  assert.deepEqual([s.busy.pick, s.form.datasetKind, s.form.datasetPath], [false, 'demo', '']);
});

test('a reopened panel shows the form its run was started with, never the built-in demo', () => {
  const s = initialState();
  const request = {
    ...settings, trainSize: 9, dataset: { path: '/ws/qa.csv' }, questionField: 'problem', answerField: 'solution',
    extractor: { text: 'So the answer is' }, initialPrompt: 'Think.', heldOutSize: 12, maxNewTokens: 64, quantize: 'int8' as const, precision: 'fp32' as const,
  };
  applyMessage(s, { type: 'init', settings, trusted: true, runId: 'r1', request });
  assert.deepEqual(startRequest(s.form), request);
  // a run started on a preset reopens on that preset
  const quick = { ...request, ...BUDGETS.quick, budget: 'quick' as const, precision: 'auto' as const };
  applyMessage(s, { type: 'init', settings, trusted: true, runId: 'r2', request: quick });
  assert.equal(s.form.budget, 'quick');
  assert.deepEqual(startRequest(s.form), quick);
});

test('a budget preset fills the sizes and goes to the worker; editing a size makes it custom, which sends no preset', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  s.form.prompt = 'Think.';
  assert.equal(s.form.budget, 'custom', 'the settings\' sizes are no preset');
  const topQ = s.form.topQ;
  chooseBudget(s.form, 'standard');
  const r = startRequest(s.form);
  assert.deepEqual([r.budget, r.trainSize, r.heldOutSize, r.maxNewTokens, r.topK, r.steps], ['standard', 25, 50, 256, 40, 60]);
  assert.equal(r.topQ, topQ, 'top-q is not part of a budget');
  const measured = estimateKey(s.form);
  setSize(s.form, 'maxNewTokens', 200);
  assert.equal(s.form.budget, 'custom');
  assert.equal(startRequest(s.form).budget, undefined);
  assert.equal(startRequest(s.form).trainSize, 25, 'the other sizes stay');
  assert.notEqual(estimateKey(s.form), measured, 'an estimate is for the budget it was measured with');
  setSize(s.form, 'maxNewTokens', 256);
  assert.equal(s.form.budget, 'standard', 'the preset\'s sizes again are that preset');
  chooseBudget(s.form, 'custom');
  assert.deepEqual([s.form.budget, s.form.steps], ['custom', 60], 'custom keeps the sizes');
});

test('the panel\'s budget presets are the optimizer\'s', () => {
  assert.deepEqual(BUDGET_PRESETS, BUDGETS);
});

test('an engine choice the worker refuses shows at its field and blocks Start, for that choice only', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  s.form.prompt = 'Think.';
  s.form.precision = 'fp16';
  const refusal = '--precision fp16 runs on WebGPU only (--device webgpu), not on cpu';
  applyMessage(s, { type: 'engineCheck', key: engineKey(s.form), result: { resolvedDevice: 'cpu', refusals: { precision: refusal } } });
  assert.deepEqual(formProblems(s), { precision: refusal });
  s.form.precision = 'fp32';
  assert.deepEqual(formProblems(s), {}, 'a refusal for another choice is not shown');
  setSize(s.form, 'maxNewTokens', 961024);
  assert.match(formProblems(s).maxNewTokens ?? '', /Reasoning tokens 961024 is more than the 100000/);
  assert.equal(startRequest(s.form).precision, 'fp32');
});

test('a form saved by an older panel gets the budget and engine defaults', () => {
  const s = initialState();
  const { budget: _b, heldOutSize: _h, maxNewTokens: _m, quantize: _q, precision: _p, ...old } = s.form;
  const f = completeForm(old);
  assert.deepEqual([f.budget, f.heldOutSize, f.maxNewTokens, f.quantize, f.precision], ['custom', 100, 1024, 'none', 'fp32']);
});

test('Start is blocked before it is sent when the sizes or columns cannot work, with the reason at the field', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings: { ...settings, trainSize: 50 }, trusted: true });
  s.form.prompt = 'Think.';
  assert.deepEqual(formProblems(s), {}, 'nothing known about the dataset yet');
  applyMessage(s, { type: 'preview', result: preview({ total: 20 }) });
  assert.match(formProblems(s).trainSize ?? '', /Train size 50 is too large for this dataset of 20 examples: use at most 19/);
  s.form.trainSize = 19;
  assert.deepEqual(formProblems(s), {});

  applyMessage(s, { type: 'datasetPicked', path: '/ws/odd.jsonl' });
  applyMessage(s, { type: 'preview', result: preview({ columns: ['problem', 'solution'], suggested: {}, extractorPresets: [], needsMapping: 'Choose which column holds the question' }) });
  assert.deepEqual([s.form.questionField, s.form.answerField], ['', ''], 'nothing is guessed for an unmapped file');
  assert.match(formProblems(s).columns ?? '', /Choose which column/);
  s.form.questionField = 'problem';
  s.form.answerField = 'solution';
  assert.equal(formProblems(s).columns, undefined);
});

test('a measured estimate belongs to the form it was measured for: a change in size or model drops it, the seed does not', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  const result = { totalSeconds: 300, stepSeconds: 40, startSeconds: 20, evaluationSeconds: 40, probeSeconds: 3, summary: 'estimate: about 5 min' };
  applyMessage(s, { type: 'estimate', key: estimateKey(s.form), result });
  assert.deepEqual(currentEstimate(s), result);
  s.form.seed = 99;
  assert.deepEqual(currentEstimate(s), result);
  s.form.steps = 30;
  assert.equal(currentEstimate(s), undefined, 'three times the steps: the old figure is not shown');
  s.form.steps = settings.steps;
  s.form.model = 'HuggingFaceTB/SmolLM2-360M-Instruct';
  assert.equal(currentEstimate(s), undefined);
});

test('Apply is the primary action only for a prompt that beat the initial one on the held-out examples', () => {
  const base = { initialPrompt: 'Think.', bestPrompt: 'check thorough sum planre', initialAccuracy: 0, bestAccuracy: 0 };
  assert.equal(applyAdvice(base).recommend, 'keep');
  assert.match(applyAdvice(base).reason ?? '', /did not improve \(0\.0% → 0\.0%\)/);
  assert.equal(applyAdvice({ ...base, initialAccuracy: 0.5, bestAccuracy: 0.4 }).recommend, 'keep');
  assert.match(applyAdvice({ ...base, initialAccuracy: undefined, bestAccuracy: undefined }).reason ?? '', /No held-out check/);
  assert.equal(applyAdvice({ ...base, bestPrompt: ' Think. ', initialAccuracy: 0.2, bestAccuracy: 0.9 }).recommend, 'keep', 'the same prompt');
  assert.deepEqual(applyAdvice({ ...base, initialAccuracy: 0.07, bestAccuracy: 0.95 }), { recommend: 'apply' });
});

test('the chart\'s score axis shows a tiny change as tiny and a real one in full', () => {
  const [lo, hi] = scoreAxis([1.347, 1.341]);
  assert.ok(lo <= 1.341 && hi >= 1.347);
  assert.ok(hi - lo >= 0.1 * 1.347 - 1e-12, `axis ${lo}–${hi} makes a 0.006 change fill the chart`);
  assert.ok((1.347 - 1.341) / (hi - lo) < 0.05, 'the drawn drop is under 5% of the height');
  assert.deepEqual(scoreAxis([3, 1]), [1, 3], 'a large change still fills the axis');
  const [z0] = scoreAxis([0.01, 0.012]);
  assert.ok(z0 >= 0, 'a loss axis does not go below zero');
});

test('a collapsed readability makes "Keep original" the primary action even when accuracy rose', () => {
  const base = { initialPrompt: 'a rough estimate.', bestPrompt: 'exactly positive workingTherefore', initialAccuracy: 0.07, bestAccuracy: 0.95 };
  assert.deepEqual(applyAdvice({ ...base, initialPerplexity: 20, bestPerplexity: 45 }), { recommend: 'apply' });
  const collapsed = applyAdvice({ ...base, initialPerplexity: 20, bestPerplexity: 400 });
  assert.equal(collapsed.recommend, 'keep');
  assert.match(collapsed.reason ?? '', /Readability collapsed: .* from 20\.0 to 400\.0/);
});

test('the picked top prompt belongs to its run: a new run or a report without it drops the pick', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  const top = [{ prompt: 'best', score: 1, trainAccuracy: 0.9 }, { prompt: 'readable', score: 1.01, trainAccuracy: 0.9, perplexity: 12 }];
  applyMessage(s, { type: 'report', runId: 'r1', top, initialPerplexity: 10 });
  s.chosenPrompt = 'readable';
  applyMessage(s, { type: 'report', runId: 'r1', top });
  assert.equal(s.chosenPrompt, 'readable');
  applyMessage(s, { type: 'report', runId: 'r1', top: top.slice(0, 1) });
  assert.equal(s.chosenPrompt, undefined);
  s.chosenPrompt = 'best';
  applyMessage(s, { type: 'runStarted', runId: 'r2', runDir: '/r2' });
  assert.equal(s.chosenPrompt, undefined);
});
