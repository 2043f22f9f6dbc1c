// Candidate proposal (ALGORITHM §5) on scripted log-prob rows: a hand-computed pool with k growth,
// neighbour bans (§13 item 6), the current token added, and seeded random groups (§13 item 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { neighbourBans, proposeFromRows, topIds } from '../src/greater/proposal';
import { Rng } from '../src/greater/rng';

/** A log-prob row over ids 0..7 in which `order` (best first) gets −1, −2, …; ids not listed get −100. */
function row(order: number[]): Float64Array {
  const r = new Float64Array(8).fill(-100);
  order.forEach((id, i) => { r[id] = -(i + 1); });
  return r;
}

// Five samples: with groups of 5 every group is all of them, so the pool does not depend on the draw.
const ORDERS = [
  [3, 4, 5, 6, 2, 7, 1],
  [3, 5, 4, 7, 6, 1, 2],
  [3, 4, 6, 5, 1, 2, 7],
  [4, 3, 5, 2, 6, 7, 1],
  [3, 6, 4, 5, 7, 2, 1],
];
const banned = Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]); // id 0 is a special token

test('hand-computed pool: k=2 gives {3}, grown to k=4 gives {3,4,5}; the current token 7 is added', () => {
  // k=2: top-2 sets {3,4} {3,5} {3,4} {4,3} {3,6} → ∩ = {3}, below the minimum of 3 → k += 2.
  // k=4: {3,4,5,6} {3,5,4,7} {3,4,6,5} {4,3,5,2} {3,6,4,5} → ∩ = {3,4,5}.
  const p = proposeFromRows(ORDERS.map(row), banned, [], 7, { topK: 2, topQ: 3, groupSize: 5, minPool: 3 }, new Rng(1));
  assert.deepEqual(p.candidates, [3, 4, 5, 7]);
  assert.equal(p.k, 4);
});

test('hand-computed pool with the neighbour 5 banned: {3,4,6} at k=4', () => {
  // Without 5 the k=4 sets are {3,4,6,2} {3,4,7,6} {3,4,6,1} {4,3,2,6} {3,6,4,7} → ∩ = {3,4,6}.
  const p = proposeFromRows(ORDERS.map(row), banned, [5], 7, { topK: 2, topQ: 3, groupSize: 5, minPool: 3 }, new Rng(1));
  assert.deepEqual(p.candidates, [3, 4, 6, 7]);
});

test('a pool already large enough stays at k; the current token is not duplicated', () => {
  const p = proposeFromRows(ORDERS.map(row), banned, [], 3, { topK: 4, topQ: 2, groupSize: 5, minPool: 2 }, new Rng(1));
  assert.deepEqual(p.candidates, [3, 4, 5]);
  assert.equal(p.k, 4);
});

test('banned ids never appear in a top-k, ties go to the lower id', () => {
  const r = Float64Array.from([9, 5, 5, 1, 7, 5, 0, 0]);
  assert.deepEqual(topIds(r, banned, new Set(), 4), [4, 1, 2, 5]);
  assert.deepEqual(topIds(r, banned, new Set([4]), 2), [1, 2]);
});

test('random groups: union of intersections over the drawn groups, reproducible by seed', () => {
  const orders = [...ORDERS, [7, 6, 2, 3, 4, 5, 1]];
  const rows = orders.map(row);
  const opts = { topK: 3, topQ: 4, groupSize: 5, minPool: 2 };
  const a = proposeFromRows(rows, banned, [], 1, opts, new Rng(42));
  const b = proposeFromRows(rows, banned, [], 1, opts, new Rng(42));
  assert.deepEqual(a, b, 'same seed, same groups and pool');
  // Recompute from the returned groups by hand.
  const tops = orders.map((o) => new Set(o.slice(0, a.k)));
  const expected = new Set<number>([1]);
  for (const g of a.groups.slice(-opts.topQ)) {
    assert.equal(new Set(g).size, 5, 'a group holds 5 distinct samples');
    for (const id of tops[g[0]]) if (g.every((s) => tops[s].has(id))) expected.add(id);
  }
  assert.deepEqual(a.candidates, [...expected].sort((x, y) => x - y));
  const seeds = new Set(Array.from({ length: 8 }, (_, s) => JSON.stringify(proposeFromRows(rows, banned, [], 1, opts, new Rng(s)).groups)));
  assert.ok(seeds.size > 1, 'different seeds draw different groups');
});

test('neighbour bans: both neighbours by default; the reference bans ctrl[pos−1], wrapping at 0 (§13 item 6)', () => {
  const ctrl = [10, 11, 12, 13];
  assert.deepEqual(neighbourBans(ctrl, 0, 'both'), [11]);
  assert.deepEqual(neighbourBans(ctrl, 2, 'both'), [11, 13]);
  assert.deepEqual(neighbourBans(ctrl, 3, 'both'), [12]);
  assert.deepEqual(neighbourBans(ctrl, 0, 'previous-wrapping'), [13]);
  assert.deepEqual(neighbourBans(ctrl, 2, 'previous-wrapping'), [11]);
});

/** §5 as written: full orderings, top-k sets rebuilt for every k (slow, obviously right). */
function naivePropose(rows: Float64Array[], banned: Uint8Array, extraBans: number[], current: number, opts: { topK: number; topQ: number; groupSize: number; minPool: number }, rng: Rng) {
  const ok = (id: number) => !banned[id] && !extraBans.includes(id);
  const allowed = [...banned.keys()].filter(ok);
  const orders = rows.map((r) => [...allowed].sort((a, b) => r[b] - r[a] || a - b));
  const indices = rows.map((_, i) => i);
  for (let k = opts.topK; ; k += 2) {
    const groups: number[][] = [];
    const pool = new Set<number>();
    for (let g = 0; g < opts.topQ; g++) {
      const group = rng.sample(indices, Math.min(opts.groupSize, rows.length));
      groups.push(group);
      const tops = group.map((s) => new Set(orders[s].slice(0, k)));
      for (const id of tops[0]) if (tops.every((t) => t.has(id))) pool.add(id);
    }
    if (pool.size >= opts.minPool || k >= allowed.length) {
      pool.add(current);
      return { candidates: [...pool].sort((a, b) => a - b), k, groups };
    }
  }
}

test('samples that disagree grow k into the hundreds: the same pools, k and groups as §5 computed naively', () => {
  const V = 1500;
  for (const seed of [1, 2, 3]) {
    const draw = new Rng(100 + seed);
    // Independent rows (no shared preference), values on a coarse grid so ties occur; a few specials banned.
    const rows = Array.from({ length: 8 }, () => Float64Array.from({ length: V }, () => Math.round(draw.next() * 400) / 40));
    const bannedIds = new Uint8Array(V);
    for (let id = 0; id < V; id += 97) bannedIds[id] = 1;
    const opts = { topK: 40, topQ: 6, groupSize: 5, minPool: 6 };
    const got = proposeFromRows(rows, bannedIds, [5, 6], 7, opts, new Rng(seed));
    const want = naivePropose(rows, bannedIds, [5, 6], 7, opts, new Rng(seed));
    assert.ok(want.k > 200, `k only reached ${want.k}: the deep path is not exercised`);
    assert.deepEqual(got, want);
  }
});
