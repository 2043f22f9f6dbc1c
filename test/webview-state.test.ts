// The panel's pure state module (src/webview/state.ts): messages from the extension and run events reduce the
// view model without a DOM; the run view is the shared fold plus the panel's own phase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMessage, initialState, startRequest } from '../src/webview/state';

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
