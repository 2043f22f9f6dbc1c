// Keys/values of reusable prompt prefixes (e.g. template + question), by token ids, least recently used
// first; bounded in bytes. Filled in one batched pass for every prefix a call is missing.
import { EngineContext } from '../engine-context';
import { FloatArray } from '../model/rope';
import { availableMemory } from '../weights/memory';
import { forwardStep } from './forward-step';
import { PrefixState } from './kv-cache';

export class PrefixCache {
  private readonly states = new Map<string, PrefixState>();
  private bytes = 0;
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly ctx: EngineContext) {}

  private sizeOf(st: PrefixState): number {
    const { numLayers, numKvHeads: kv, headDim: hd, vocabSize: V } = this.ctx.config;
    return (2 * numLayers * kv * st.n * hd + V) * st.lastLogits.BYTES_PER_ELEMENT;
  }

  /**
   * Prefix states for each prompt (n = 0 where none), computing the missing ones in one batched pass. `whole`: a
   * prefix may be the whole prompt (a caller that only reads the logits after it); otherwise at least one token
   * stays outside, as decoding starts from the prompt's last row.
   */
  async statesFor(prompts: readonly (readonly number[])[], lengths: readonly number[], whole = false): Promise<PrefixState[]> {
    const ctx = this.ctx;
    if (lengths.length !== prompts.length) throw new Error(`generate: ${lengths.length} prefix lengths for ${prompts.length} prompts`);
    const none: PrefixState = { n: 0, k: [], v: [], lastLogits: ctx.make(0) };
    const keys = prompts.map((p, b) => {
      const n = Math.max(0, Math.min(Math.floor(lengths[b]), p.length - (whole ? 0 : 1)));
      return n > 0 ? p.slice(0, n).join(',') : '';
    });
    const missing = [...new Set(keys.filter((k) => k && !this.states.has(k)))];
    if (missing.length) {
      const seqs = missing.map((k) => k.split(',').map(Number));
      const Lm = Math.max(...seqs.map((q) => q.length));
      const ids = new BigInt64Array(missing.length * Lm);
      const pos = new Int32Array(missing.length * Lm).fill(-1);
      seqs.forEach((q, m) => q.forEach((t, j) => { ids[m * Lm + j] = BigInt(t); pos[m * Lm + j] = j; }));
      const step = await forwardStep(ctx, ids, pos, missing.length, Lm, null, { rows: seqs.map((q, m) => m * Lm + q.length - 1), logits: true, present: true }, false);
      const logits = step.logits!;
      // The host forward session's presents: prefixes live on the host and are sliced into each call's cache.
      const present = new Map<string, FloatArray>();
      for (const [name, t] of Object.entries(step.present)) present.set(name, t.data as FloatArray);
      const { numKvHeads: kv, headDim: hd, vocabSize: V } = ctx.config;
      seqs.forEach((q, m) => {
        const n = q.length;
        const take = (t: FloatArray) => {
          const out = ctx.make(kv * n * hd);
          for (let h = 0; h < kv; h++) out.set(t.subarray(((m * kv + h) * Lm) * hd, ((m * kv + h) * Lm + n) * hd), h * n * hd);
          return out;
        };
        const st: PrefixState = {
          n,
          k: Array.from({ length: ctx.config.numLayers }, (_, l) => take(present.get(`present_key.${l}`)!)),
          v: Array.from({ length: ctx.config.numLayers }, (_, l) => take(present.get(`present_value.${l}`)!)),
          lastLogits: logits.slice(m * V, (m + 1) * V),
        };
        this.states.set(missing[m], st);
        this.bytes += this.sizeOf(st);
      });
      this.stats.misses += missing.length;
      // Evict least recently used prefixes beyond the budget (never the ones this call needs).
      const budget = Math.min(2 ** 30, availableMemory() / 8);
      for (const [k, st] of this.states) {
        if (this.bytes <= budget) break;
        if (keys.includes(k)) continue;
        this.states.delete(k);
        this.bytes -= this.sizeOf(st);
      }
    }
    return keys.map((k) => {
      if (!k) return none;
      const st = this.states.get(k)!;
      if (!missing.includes(k)) {
        this.stats.hits++;
        this.states.delete(k); // refresh its recency
        this.states.set(k, st);
      }
      return st;
    });
  }

  clear(): void {
    this.states.clear();
    this.bytes = 0;
  }
}
