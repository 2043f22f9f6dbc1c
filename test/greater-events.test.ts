// The one fold of a run's events (src/greater/events.ts): resume clears the end, a re-run step replaces its
// point, the log keeps only the newest lines, the state is never mutated, and the CLI line formats it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRunProgress, foldAllRunEvents, foldRunEvents, KEPT_LOG_LINES, type RunEvent } from '../src/greater/events';
import { ProgressLine } from '../src/greater/progress';

const counts = { forwardPasses: 0, backwardPasses: 0, generatedTokens: 0 };
const started = (p: string): RunEvent => ({ kind: 'run-started', runId: 'r', runDir: '/r', totalSteps: 3, initialPrompt: p, model: 'm', task: 't' });
const step = (n: number, score: number): RunEvent => ({
  kind: 'step', step: n, totalSteps: 3, position: n, prompt: `p${n}`, promptTokens: [], score, accuracy: score, bestScore: score,
  bestPrompt: `p${n}`, etaSeconds: 10 - n, counts,
});

test('a resumed run keeps its first prompt, clears the earlier end and replaces the re-run step', () => {
  const s = foldAllRunEvents([
    started('first'), step(1, 0.1), step(2, 0.2), { kind: 'error', message: 'killed', resumable: true },
    started('second'), step(2, 0.3),
  ]);
  assert.equal(s.initialPrompt, 'first');
  assert.equal(s.error, undefined);
  assert.deepEqual(s.points.map((p) => [p.step, p.score]), [[1, 0.1], [2, 0.3]]);
  assert.equal(s.last?.bestScore, 0.3);
});

test('the fold never mutates its input and keeps a wider state\'s own fields', () => {
  const before = { ...emptyRunProgress(), panel: 'x' };
  const after = foldRunEvents(before, step(1, 0.5));
  assert.equal(before.points.length, 0);
  assert.equal(after.panel, 'x');
  assert.equal(after.points.length, 1);
});

test('the log keeps the newest lines only', () => {
  const events: RunEvent[] = Array.from({ length: KEPT_LOG_LINES + 7 }, (_, i) => ({ kind: 'log', level: 'info', message: `m${i}` }));
  const s = foldAllRunEvents(events);
  assert.equal(s.logs.length, KEPT_LOG_LINES);
  assert.equal(s.logs[0], '[info] m7');
});

test('the CLI progress line shows the phase in flight, then done after the step', () => {
  const line = new ProgressLine();
  line.update(started('p'));
  line.update({ kind: 'phase', step: 1, phase: 'selection', candidate: { index: 2, total: 5 }, etaSeconds: 90 });
  assert.equal(line.text(), 'step 1/3 pos 0 selection 2/5 best – ETA 1m30s');
  line.update(step(1, 0.25));
  assert.equal(line.text(), 'step 1/3 pos 0 done best 0.2500 ETA 9s');
  assert.equal(line.update({ kind: 'log', level: 'info', message: 'x' }), false);
});
