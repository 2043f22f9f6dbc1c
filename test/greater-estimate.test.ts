// The measured estimate: extrapolation follows the cost model, and a user-set limit refuses a run before step 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeConfig } from '../src/greater/config';
import { extrapolate, type MeasuredCosts } from '../src/greater/estimate';

const bin = path.resolve(__dirname, '../../bin/greater.js');

test('extrapolation: start reasoning, then per step proposal + gradient + K evaluations per batch, then held-out', () => {
  const c: MeasuredCosts = { batch: 4, evalBatchSeconds: 2, decodeStepSeconds: 0.01, reasoningSteps: 100, proposalSeconds: 0.5, gradientSeconds: 3, probeSeconds: 1 };
  const cfg = makeConfig({ steps: 10, keepForSelection: 3, evaluateTop: 1 });
  const e = extrapolate(c, cfg, 10, 7); // 3 training batches, 2 held-out batches
  assert.equal(e.startSeconds, 3 * 2);
  assert.equal(e.stepSeconds, 3 * (0.5 + 3) + 3 * 3 * 2);
  assert.equal(e.evaluationSeconds, 2 * 2 * 2);
  assert.equal(e.totalSeconds, e.startSeconds + 10 * e.stepSeconds + e.evaluationSeconds);
  // The random-search baseline computes no gradient; regenerating the reasoning every step costs one more evaluation.
  assert.equal(extrapolate(c, makeConfig({ candidateRanking: 'random', keepForSelection: 3 }), 10, 7).stepSeconds, 3 * 0.5 + 3 * 3 * 2);
  assert.equal(extrapolate(c, makeConfig({ reuseReasoning: false, keepForSelection: 3 }), 10, 7).stepSeconds, 3 * 3.5 + 4 * 3 * 2);
});

test('the estimate is printed before step 1 and --max-minutes refuses a run it exceeds, in one line', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-est-'));
  try {
    const r = spawnSync(process.execPath, [bin, 'optimize', '--steps', '10000', '--max-minutes', '1', '--out', path.join(out, 'run')], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, /the estimate: about [\d.]+ (s|min|h) for 10000 steps .* over --max-minutes 1: lower --steps, --train-size or --max-new-tokens, or raise the limit/);
    assert.ok(!fs.existsSync(path.join(out, 'run', 'checkpoint.json')), 'a step ran');
    const ok = spawnSync(process.execPath, [bin, 'optimize', '--steps', '1', '--held-out', '5', '--out', path.join(out, 'run2')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /estimate: about \d+ (s|min) for 1 steps \(\d+ s per step; .*reasoning ≈ \d+ tokens/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
