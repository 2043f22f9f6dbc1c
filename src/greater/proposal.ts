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
 * Per-sample orderings are computed once for the largest k that can be needed, then sliced.
 */
export function proposeFromRows(
  rows: readonly FloatArray[], banned: Uint8Array, extraBans: readonly number[], current: number, opts: ProposalOptions, rng: Rng,
): Proposal {
  const extra = new Set(extraBans);
  let allowed = 0;
  for (let id = 0; id < banned.length; id++) if (!banned[id] && !extra.has(id)) allowed++;
  let depth = Math.min(allowed, Math.max(opts.topK * 2, 64));
  let ordered = rows.map((r) => topIds(r, banned, extra, depth));
  const indices = rows.map((_, i) => i);
  const groupSize = Math.min(opts.groupSize, rows.length);
  let k = opts.topK;
  for (;;) {
    if (k > depth && depth < allowed) {
      depth = Math.min(allowed, depth * 2);
      ordered = rows.map((r) => topIds(r, banned, extra, depth));
    }
    const tops = ordered.map((o) => new Set(o.slice(0, k)));
    const groups: number[][] = [];
    const pool = new Set<number>();
    for (let g = 0; g < opts.topQ; g++) {
      const group = rng.sample(indices, groupSize);
      groups.push(group);
      for (const id of tops[group[0]]) if (group.every((s) => tops[s].has(id))) pool.add(id);
    }
    // Stop when the pool is big enough or cannot grow any more (every allowed token is in every top-k).
    if (pool.size >= opts.minPool || k >= allowed) {
      pool.add(current);
      return { candidates: [...pool].sort((a, b) => a - b), k, groups };
    }
    k += 2;
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
