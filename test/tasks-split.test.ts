// Seeded PRNG (src/greater/rng.ts) and the train / held-out split built on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../src/engine';
import { Rng } from '../src/greater/rng';
import { loadTask, splitExamples } from '../src/greater/tasks';

const bbhDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'bbh');
const noBbh = fs.existsSync(path.join(bbhDir, 'README.md')) ? false : `fixtures not found at ${bbhDir}`;
if (noBbh) console.log(`# skipping fixture tests: ${noBbh}`);

const rows = (n: number) => Array.from({ length: n }, (_, index) => ({ index }));

test('xoshiro128** known outputs from state [1, 2, 3, 4]', () => {
  // Worked by hand from the published algorithm: 11520, 0, 5927040 are its first three outputs.
  const r = Rng.fromState([1, 2, 3, 4]);
  assert.deepEqual([r.next(), r.next(), r.next()].map((x) => x * 2 ** 32), [11520, 0, 5927040]);
});

test('Rng: same seed same stream, different seeds differ, state round-trips through JSON', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(Array.from({ length: 100 }, () => b.next()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const c = new Rng(43);
  assert.notDeepEqual(Array.from({ length: 5 }, () => c.next()), xs.slice(0, 5));
  assert.notDeepEqual(new Rng(2 ** 40).getState(), new Rng(0).getState(), 'high bits of the seed matter');
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const resumed = Rng.fromState(saved);
  assert.deepEqual(Array.from({ length: 50 }, () => resumed.int(1000)), Array.from({ length: 50 }, () => a.int(1000)));
});

test('Rng.int is in range and roughly uniform; sample gives distinct elements', () => {
  const r = new Rng(7);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
  // Chi-square with 5 degrees of freedom; 20.5 is the 0.1% tail, and the seed is fixed.
  const chi = counts.reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
  assert.ok(chi < 20.5, `chi-square ${chi} for ${counts}`);
  const arr = Array.from({ length: 20 }, (_, i) => i);
  const s = r.sample(arr, 5);
  assert.equal(new Set(s).size, 5);
  assert.ok(s.every((x) => arr.includes(x)));
  assert.deepEqual(arr, Array.from({ length: 20 }, (_, i) => i), 'input untouched');
  assert.deepEqual([...r.sample(arr, 20)].sort((x, y) => x - y), arr);
  assert.throws(() => r.sample(arr, 21), RangeError);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => new Rng(1.5), RangeError);
});

test('Rng.fromState rejects damaged checkpoint state', () => {
  for (const bad of [null, [1, 2, 3], [0, 0, 0, 0], [1, 2, 3, -1], [1, 2, 3, 2 ** 32], 'abc']) {
    assert.throws(() => Rng.fromState(bad), UserError, JSON.stringify(bad));
  }
});

test('split: deterministic for a seed, disjoint, sizes as asked, file order inside each half', () => {
  const ex = rows(250);
  const s1 = splitExamples(ex, { seed: 5 });
  const s2 = splitExamples(ex, { seed: 5 });
  assert.deepEqual(s1, s2);
  assert.equal(s1.train.length, 50);
  assert.equal(s1.heldOut.length, 200);
  const trainIdx = new Set(s1.train.map((e) => e.index));
  assert.ok(s1.heldOut.every((e) => !trainIdx.has(e.index)), 'disjoint');
  assert.equal(new Set([...trainIdx, ...s1.heldOut.map((e) => e.index)]).size, 250, 'covers everything');
  for (const half of [s1.train, s1.heldOut]) assert.ok(half.every((e, i) => i === 0 || half[i - 1].index < e.index));
  const s3 = splitExamples(ex, { seed: 6 });
  assert.notDeepEqual(s3.train, s1.train);
  assert.notDeepEqual(s1.train, ex.slice(0, 50), 'shuffled by default');
});

test('split: held-out cap, unshuffled reference protocol, custom train size', () => {
  const ex = rows(250);
  const capped = splitExamples(ex, { seed: 1, nTrain: 50, maxHeldOut: 100 });
  assert.equal(capped.heldOut.length, 100);
  const full = splitExamples(ex, { seed: 1, nTrain: 50 });
  assert.deepEqual(capped.train, full.train, 'the cap does not change the training set');
  assert.ok(capped.heldOut.every((e) => full.heldOut.includes(e)));
  const ref = splitExamples(ex, { seed: 1, shuffle: false, maxHeldOut: 50 });
  assert.deepEqual(ref.train, ex.slice(0, 50));
  assert.deepEqual(ref.heldOut, ex.slice(50, 100));
  assert.equal(splitExamples(ex, { seed: 1, nTrain: 10 }).train.length, 10);
  assert.equal(splitExamples(rows(3), { seed: 1, nTrain: 3, maxHeldOut: 0 }).heldOut.length, 0);
});

test('split: too few examples or bad sizes are user errors', () => {
  assert.throws(() => splitExamples(rows(50), { seed: 1 }, 'x.csv'), (e: unknown) =>
    e instanceof UserError && /x\.csv has 50 usable examples; 50 for training plus at least 1 held out needs 51/.test(e.message));
  assert.throws(() => splitExamples(rows(10), { seed: 1, nTrain: 0 }), /training size must be a positive integer, got 0/);
  assert.throws(() => splitExamples(rows(10), { seed: 1, nTrain: 2, maxHeldOut: -1 }), /held-out cap/);
  assert.throws(() => splitExamples(rows(10), { seed: 0.5, nTrain: 2 }), /seed must be an integer/);
});

test('split of a real task (movie_recommendation, one row dropped) never contains the dropped row', { skip: noBbh }, () => {
  const task = loadTask(path.join(bbhDir, 'movie_recommendation.json'));
  for (const seed of [0, 1, 2, 3]) {
    const { train, heldOut } = splitExamples(task.examples, { seed, maxHeldOut: 100 }, task.file);
    assert.equal(train.length, 50);
    assert.equal(heldOut.length, 100);
    assert.ok(![...train, ...heldOut].some((e) => e.index === 163));
  }
});
