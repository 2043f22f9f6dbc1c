// Candidate proposal for one control position (ALGORITHM §5): per sample, the model's top-k next tokens
// at that position (banned tokens removed); the pool is the union of q intersections over random groups of
// 5 samples, grown by k += 2 until it holds 2 × keepForSelection tokens; the current token is added.
import type { Rng } from './rng';
import type { FloatArray, ModelPort } from './model';
import type { PromptLayout } from './layout';
import type { NeighbourBan } from './config';

export interface ProposalOptions {
  topK: number;
  topQ: number;
  groupSize: number;
  /** The pool must reach this size (2 × keepForSelection). */
  minPool: number;
}

export interface Proposal {
  /** Pool in ascending id order, the current token included. */
  candidates: number[];
  /** k after growth. */
  k: number;
  groups: number[][];
}

/** Ids banned next to `pos` (§13 item 6): both neighbours, or the reference's ctrl[pos − 1] (wrapping at 0). */
export function neighbourBans(ctrl: readonly number[], pos: number, mode: NeighbourBan): number[] {
  if (mode === 'previous-wrapping') return [ctrl.at(pos - 1)!];
  const out: number[] = [];
  if (pos > 0) out.push(ctrl[pos - 1]);
  if (pos + 1 < ctrl.length) out.push(ctrl[pos + 1]);
  return out;
}

/** Ids of the `n` largest entries of `row` are not banned; ties → lower id first. */
export function topIds(row: FloatArray, banned: Uint8Array, extra: ReadonlySet<number>, n: number): number[] {
  const ids: number[] = [];
  const vals: number[] = [];
  for (let id = 0; id < banned.length; id++) {
    if (banned[id] || extra.has(id)) continue;
    const v = row[id];
    let i: number;
    if (ids.length < n) { ids.push(id); vals.push(v); i = ids.length - 1; }
    else if (v > vals[n - 1]) { i = n - 1; ids[i] = id; vals[i] = v; }
    else continue;
    // Bubble up; strict comparison keeps the lower id ahead on ties.
    while (i > 0 && vals[i - 1] < vals[i]) {
      [ids[i - 1], ids[i]] = [ids[i], ids[i - 1]];
      [vals[i - 1], vals[i]] = [vals[i], vals[i - 1]];
      i--;
    }
  }
  return ids;
}

/**
 * The pure part of §5 (steps 3–6) on precomputed log-prob rows, one per sample. `rng` draws the groups.
 * While k stays within a short top list, per-sample orderings are computed once and sliced. Where samples disagree
 * (a random-weight model; a position the model has no opinion on) k can grow into the thousands, one step of 2 at a
 * time: there every sample's full ranking is computed once and each group's intersection sizes come from a
 * counting sort of its members' worst rank, so a step costs a lookup instead of rebuilding k-sized sets (a 0.5B
 * model with a 152k vocabulary took 24 s to reach k = 5336 that way; the pools are the same).
 */
export function proposeFromRows(
  rows: readonly FloatArray[], banned: Uint8Array, extraBans: readonly number[], current: number, opts: ProposalOptions, rng: Rng,
): Proposal {
  const extra = new Set(extraBans);
  const allowedIds: number[] = [];
  for (let id = 0; id < banned.length; id++) if (!banned[id] && !extra.has(id)) allowedIds.push(id);
  const allowed = allowedIds.length;
  const depth = Math.min(allowed, Math.max(opts.topK * 2, 64));
  const ordered = rows.map((r) => topIds(r, banned, extra, depth));
  const indices = rows.map((_, i) => i);
  const groupSize = Math.min(opts.groupSize, rows.length);
  let deep: DeepPools | null = null;
  let k = opts.topK;
  for (;;) {
    const groups: number[][] = [];
    for (let g = 0; g < opts.topQ; g++) groups.push(rng.sample(indices, groupSize));
    let pool: Set<number>;
    if (k <= depth) {
      const tops = ordered.map((o) => new Set(o.slice(0, k)));
      pool = new Set<number>();
      for (const group of groups) for (const id of tops[group[0]]) if (group.every((s) => tops[s].has(id))) pool.add(id);
    } else {
      deep ??= new DeepPools(rows, allowedIds);
      pool = deep.pool(groups, k);
    }
    // Stop when the pool is big enough or cannot grow any more (every allowed token is in every top-k).
    if (pool.size >= opts.minPool || k >= allowed) {
      pool.add(current);
      return { candidates: [...pool].sort((a, b) => a - b), k, groups };
    }
    k += 2;
  }
}

/** Intersections of top-k sets for large k: id x is in group G's intersection iff max over G of rank_s(x) < k. */
class DeepPools {
  /** rank[s][i]: the rank of allowedIds[i] in sample s's ordering (value descending, ties → lower id). */
  private readonly ranks: Int32Array[];
  /** Per group (by its sorted members): allowed indices ordered by worst rank, and how many have worst rank < r. */
  private readonly byGroup = new Map<string, { order: Int32Array; below: Int32Array }>();

  constructor(rows: readonly FloatArray[], private readonly allowedIds: readonly number[]) {
    const n = allowedIds.length;
    this.ranks = rows.map((row) => {
      const idx = Int32Array.from({ length: n }, (_, i) => i);
      idx.sort((a, b) => row[allowedIds[b]] - row[allowedIds[a]] || a - b);
      const rank = new Int32Array(n);
      idx.forEach((i, r) => (rank[i] = r));
      return rank;
    });
  }

  private group(members: readonly number[]): { order: Int32Array; below: Int32Array } {
    const key = [...members].sort((a, b) => a - b).join(',');
    let g = this.byGroup.get(key);
    if (!g) {
      const n = this.allowedIds.length;
      const worst = new Int32Array(n);
      for (const s of members) {
        const r = this.ranks[s];
        for (let i = 0; i < n; i++) if (r[i] > worst[i]) worst[i] = r[i];
      }
      // Counting sort by worst rank (ranks are 0..n−1): below[r] = how many have worst rank < r.
      const below = new Int32Array(n + 1);
      for (let i = 0; i < n; i++) below[worst[i] + 1]++;
      for (let r = 1; r <= n; r++) below[r] += below[r - 1];
      const next = below.slice(0, n);
      const order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[next[worst[i]]++] = i;
      g = { order, below };
      this.byGroup.set(key, g);
    }
    return g;
  }

  /** The union of the groups' intersections at k, as ids. It is built in full only when small or final: a group
   *  holding minPool ids or more ends the growth. */
  pool(groups: readonly number[][], k: number): Set<number> {
    const pool = new Set<number>();
    for (const members of groups) {
      const g = this.group(members);
      const size = g.below[Math.min(k, this.allowedIds.length)];
      for (let j = 0; j < size; j++) pool.add(this.allowedIds[g.order[j]]);
    }
    return pool;
  }
}

/**
 * Log-prob rows at the control position for every sample: one forward over the prefix only
 * (template + question + control[:pos]; §11 item 4), batched.
 */
export async function proposalRows(m: ModelPort, layout: PromptLayout, ctrl: readonly number[], pos: number, batchSize: number, check: () => void): Promise<FloatArray[]> {
  const out: FloatArray[] = [];
  const seqs = layout.samples.map((s) => [...s.before, ...ctrl.slice(0, pos)]);
  for (let b = 0; b < seqs.length; b += batchSize) {
    check();
    const chunk = seqs.slice(b, b + batchSize);
    // Each sample's template + question is in the prefix cache: at pos 0 its stored logits are the answer.
    out.push(...await m.nextTokenLogProbs(chunk, chunk.map((s) => [s.length - 1]), { prefixLengths: layout.samples.slice(b, b + batchSize).map((s) => s.before.length) }));
  }
  return out;
}
