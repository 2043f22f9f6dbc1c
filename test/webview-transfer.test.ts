// "Check on deployment model" in the panel (src/webview/transfer.ts) and its path to the worker: the form's
// target goes into the start request, a reopened panel restores it, transfer evaluation events land beside the
// held-out ones (not over them), and run/start's validator takes only the two target shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMessage, initialState, onRunEvent, startRequest } from '../src/webview/state';
import { applyTransferMessage, transferProblem, withTransfer } from '../src/webview/transferState';
import { runStartParams } from '../src/worker/validate';

const settings = { model: 'demo', device: 'cpu' as const, steps: 3, topK: 5, topQ: 2, trainSize: 4, seed: 7 };

test('the form adds the chosen deployment check to the start request, and only when complete', () => {
  const s = initialState();
  applyMessage(s, { type: 'init', settings, trusted: true });
  assert.equal(withTransfer(s, startRequest(s.form)).transfer, undefined, 'none by default');
  s.transfer = { kind: 'endpoint', open: true, model: '', baseUrl: 'localhost:11434', endpointModel: '' };
  assert.match(transferProblem(s)!, /base URL, e\.g\. http:\/\/localhost:11434\/v1/);
  assert.equal(withTransfer(s, startRequest(s.form)).transfer, undefined);
  s.transfer = { ...s.transfer, baseUrl: 'http://localhost:11434/v1 ', endpointModel: 'llama3.2:3b' };
  assert.equal(transferProblem(s), undefined);
  assert.deepEqual(withTransfer(s, startRequest(s.form)).transfer, { kind: 'endpoint', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2:3b' });
  s.transfer = { ...s.transfer, kind: 'model', model: '' };
  assert.match(transferProblem(s)!, /Name the deployment model/);
  s.transfer.model = 'HuggingFaceTB/SmolLM2-360M-Instruct';
  assert.deepEqual(withTransfer(s, startRequest(s.form)).transfer, { kind: 'model', model: 'HuggingFaceTB/SmolLM2-360M-Instruct' });
});

test('a reopened panel restores the run\'s deployment check; the key state is a boolean only', () => {
  const s = initialState();
  const request = { ...startRequest(initialState().form), transfer: { kind: 'endpoint' as const, baseUrl: 'http://h:1/v1', model: 'm' } };
  const init = { type: 'init' as const, settings, trusted: true, runId: 'r1', request };
  applyMessage(s, init);
  applyTransferMessage(s, init);
  assert.deepEqual(s.transfer, { kind: 'endpoint', open: true, model: '', baseUrl: 'http://h:1/v1', endpointModel: 'm' });
  applyTransferMessage(s, { type: 'endpointKey', stored: true });
  assert.equal(s.endpointKeySet, true);
  applyTransferMessage(s, { type: 'report', runId: 'r1', transferError: 'transfer check on m at http://h:1/v1 failed: HTTP 401' });
  assert.match(s.transferError!, /HTTP 401/);
});

test('transfer evaluation events sit beside the held-out ones instead of replacing them', () => {
  let r = initialState().run;
  r = onRunEvent(r, { kind: 'evaluation', role: 'initial', prompt: 'p', correct: 1, total: 4, accuracy: 0.25 });
  r = onRunEvent(r, { kind: 'evaluation', role: 'best', prompt: 'q', correct: 3, total: 4, accuracy: 0.75 });
  r = onRunEvent(r, { kind: 'evaluation', role: 'initial', prompt: '[m] p', correct: 0, total: 4, accuracy: 0, transfer: 'm' });
  r = onRunEvent(r, { kind: 'evaluation', role: 'best', prompt: '[m] q', correct: 2, total: 4, accuracy: 0.5, transfer: 'm' });
  assert.deepEqual([r.initialEval?.accuracy, r.bestEval?.accuracy, r.transferInitialEval?.accuracy, r.transferBestEval?.accuracy], [0.25, 0.75, 0, 0.5]);
});

test('run/start takes a second model or an endpoint as transfer target, and nothing else', () => {
  const base = {
    model: 'demo', device: 'cpu', dataset: { builtin: 'demo' }, extractor: { preset: 'auto' }, seed: 0,
    initialPrompt: 'x', steps: 1, topK: 1, topQ: 1, trainSize: 1, runsDir: '/tmp/runs',
  };
  assert.equal(runStartParams(base).transfer, undefined);
  assert.deepEqual(runStartParams({ ...base, transfer: { kind: 'endpoint', baseUrl: 'http://h/v1', model: 'm', apiKey: 'sk-dropped' } }).transfer,
    { kind: 'endpoint', baseUrl: 'http://h/v1', model: 'm' }, 'an apiKey in params is not carried on');
  assert.deepEqual(runStartParams({ ...base, transfer: { kind: 'model', model: '/m' } }).transfer, { kind: 'model', model: '/m' });
  assert.throws(() => runStartParams({ ...base, transfer: { kind: 'ftp' } }), /run\/start: 'transfer.kind' must be 'model' or 'endpoint'/);
  assert.throws(() => runStartParams({ ...base, transfer: { kind: 'endpoint', baseUrl: 'http://h/v1' } }), /run\/start: 'model' must be a non-empty string/);
});
