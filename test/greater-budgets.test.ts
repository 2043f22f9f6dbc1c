// Budget presets (issue 17.3): what `--budget` sets, that flags given win, the one-line error for an unknown name,
// and that the per-budget estimates come from the same cost model as the run's own estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BUDGETS, BUDGET_NAMES, describeBudgets, estimateUnder, parseBudget } from '../src/greater/budgets';
import { makeConfig } from '../src/greater/config';
import { extrapolate, type MeasuredCosts } from '../src/greater/estimate';
import { configFromFlags } from '../src/cli/task-flags';

const bin = path.resolve(__dirname, '../../bin/greater.js');

test('--budget sets the preset; a flag given wins over it; no budget keeps the defaults', () => {
  const quick = configFromFlags({ budget: 'quick', seed: 0 });
  for (const [k, v] of Object.entries(BUDGETS.quick)) assert.equal(quick[k as keyof typeof quick], v, k);
  const mixed = configFromFlags({ budget: 'quick', steps: 7, seed: 0 });
  assert.equal(mixed.steps, 7);
  assert.equal(mixed.trainSize, BUDGETS.quick.trainSize);
  const plain = configFromFlags({ seed: 0 });
  const defaults = makeConfig({});
  for (const k of Object.keys(BUDGETS.quick)) assert.equal(plain[k as keyof typeof plain], defaults[k as keyof typeof defaults], k);
});

test('the paper budget is the reference schedule (ALGORITHM §10) and the defaults', () => {
  assert.deepEqual(BUDGETS.paper, { trainSize: 50, heldOutSize: 100, maxNewTokens: 1024, topK: 40, steps: 125 });
  const d = makeConfig({});
  for (const [k, v] of Object.entries(BUDGETS.paper)) assert.equal(d[k as keyof typeof d], v, k);
});

test('an unknown budget is one line naming the valid ones', () => {
  assert.throws(() => parseBudget('fast'), /unknown budget 'fast'; valid budgets: quick, standard, paper/);
  const r = spawnSync(process.execPath, [bin, 'optimize', '--budget', 'fast'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  const errors = r.stderr.trim().split('\n').filter((l) => /error/.test(l));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], /unknown budget 'fast'/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('per-budget estimates: the run\'s own budget matches its estimate; shorter reasoning is priced at the measured step', () => {
  const c: MeasuredCosts = { batch: 9, evalBatchSeconds: 70, decodeStepSeconds: 0.065, reasoningSteps: 1024, proposalSeconds: 1.5, gradientSeconds: 40, probeSeconds: 20 };
  const cfg = makeConfig({});
  assert.equal(estimateUnder(c, cfg, 'paper', 1000), extrapolate(c, cfg, 50, 100).totalSeconds);
  const times = BUDGET_NAMES.map((n) => estimateUnder(c, cfg, n, 1000));
  assert.ok(times[0] < times[1] && times[1] < times[2], times.join(' < '));
  // quick's 96-token reasoning costs (1024 − 96) fewer decode steps per batch than the measured one
  const quick = { ...cfg, ...BUDGETS.quick };
  const expected = extrapolate({ ...c, reasoningSteps: 96, evalBatchSeconds: 70 - 0.065 * (1024 - 96) }, quick, BUDGETS.quick.trainSize, BUDGETS.quick.heldOutSize).totalSeconds;
  assert.ok(Math.abs(estimateUnder(c, cfg, 'quick', 1000) - expected) < 1e-9);
  // a file of 12 examples cannot give quick its 10 + 30
  assert.ok(estimateUnder(c, cfg, 'quick', 12) < estimateUnder(c, cfg, 'quick', 1000));
  assert.match(describeBudgets(c, cfg, 1000), /^the budgets on this model and device: quick about .+, standard about .+, paper about .+ \(--budget NAME\)$/);
});
