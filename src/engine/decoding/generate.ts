// Batched greedy generation with a KV cache: prefill (after any cached prefixes), decode until every row
// stopped, then optional teacher-forced suffix scoring through the same cache.
import { EngineContext } from '../engine-context';
import { UserError } from '../errors';
import { FloatArray } from '../model/rope';
import { GenerateOptions, Generation, SuffixScore } from '../types';
import { forwardStep } from './forward-step';
import { KvCache } from './kv-cache';
import { argmax, logSumExp } from './log-probs';
import { PrefixCache } from './prefix-cache';

/**
 * Greedy continuation of each prompt, batched with left padding and a KV cache. A row stops at its
 * first stop token; the batch stops when every row has stopped or after maxNewTokens.
 */
export async function generate(ctx: EngineContext, prefixCache: PrefixCache, stopIds: readonly number[], prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<Generation[]> {
  if (!prompts.length) return [];
  prompts.forEach((p, i) => {
    if (!p.length) throw new UserError(`prompt ${i} is empty: generation needs at least one input token`);
    ctx.checkIds(p);
  });
  const B = prompts.length;
  const longest = Math.max(...prompts.map((p) => p.length));
  const maxNew = Math.max(0, Math.floor(opts.maxNewTokens));
  const stop = new Set(opts.stopIds ?? stopIds);
  const results: Generation[] = prompts.map(() => ({ ids: [], finish: 'length' }));
  if (maxNew === 0 && !opts.suffixes && !opts.promptScores) return results;
  if (longest + maxNew > ctx.config.maxPositions) {
    throw new UserError(`prompt of ${longest} tokens + ${maxNew} new tokens exceeds the model's context window of ${ctx.config.maxPositions} tokens`);
  }
  const suffixes = opts.suffixes;
  if (suffixes && suffixes.length !== B) throw new Error(`generate: ${suffixes.length} suffixes for ${B} prompts`);
  const maxSuffix = suffixes ? Math.max(0, ...suffixes.map((x) => x.length)) : 0;
  if (suffixes) suffixes.forEach((x) => ctx.checkIds(x));
  const V = ctx.config.vocabSize;
  // Reusable prefixes (e.g. template + question) come from the prefix cache into the first cache
  // columns; only the rest of each prompt is prefilled. Masks are by position, so rows may differ.
  const pre = opts.prefixLengths ? await prefixCache.statesFor(prompts, opts.prefixLengths) : null;
  const P0 = pre ? Math.max(0, ...pre.map((p) => p.n)) : 0;
  const rest = prompts.map((p, b) => p.slice(pre ? pre[b].n : 0));
  const L = Math.max(...rest.map((r) => r.length));
  // Prefill: left-padded [B,L]; pad columns get position −1.
  const ids = new BigInt64Array(B * L);
  const pos = new Int32Array(B * L).fill(-1);
  rest.forEach((r, b) => {
    const off = L - r.length;
    const start = pre ? pre[b].n : 0;
    r.forEach((t, j) => {
      ids[b * L + off + j] = BigInt(t);
      pos[b * L + off + j] = start + j;
    });
  });
  const cache = new KvCache(B, P0 + L + maxNew + maxSuffix + 1, ctx.config, ctx.make);
  if (pre && P0 > 0) cache.setPrefixes(pre);
  // Prefill rows: each prompt's last token first (decoding starts from those), then any prompt scores;
  // a score right at the end of a cached prefix reads the logits stored with it.
  const scoreRows: number[] = [];
  const scoreSrc: (number | FloatArray)[][] = [];
  opts.promptScores?.forEach((list, b) => {
    const n = pre ? pre[b].n : 0;
    scoreSrc.push(list.map(({ position, id }) => {
      if (position < 0 || position >= prompts[b].length) throw new UserError(`prompt score position ${position} is outside prompt ${b} (length ${prompts[b].length})`);
      ctx.checkIds([id]);
      if (position === n - 1) return pre![b].lastLogits;
      if (position < n) throw new Error(`generate: prompt score at ${position} lies inside the cached prefix of prompt ${b} (length ${n})`);
      scoreRows.push(b * L + L - rest[b].length + (position - n));
      return B + scoreRows.length - 1;
    }));
  });
  let res = await forwardStep(ctx, ids, pos, B, L, P0 > 0 ? cache : null, [...rest.map((_, b) => b * L + L - 1), ...scoreRows]);
  cache.append(res.present, L, pos);
  opts.promptScores?.forEach((list, b) => {
    results[b].promptLogProbs = list.map(({ id }, k) => {
      const src = scoreSrc[b][k];
      const [arr, o] = typeof src === 'number' ? [res.logits, src * V] : [src, 0];
      return arr[o + id] - logSumExp(arr, o, V);
    });
  });
  const done = new Array<boolean>(B).fill(false);
  const nextPos = prompts.map((p) => p.length);
  const fed = new Array<number>(B).fill(0); // generated tokens already in the cache, per row
  // Logits that follow each row's last cached token (needed to score the first suffix token).
  const lastLogits: FloatArray[] = [];
  const keepLast = () => { if (suffixes) for (let b = 0; b < B; b++) if (!done[b]) lastLogits[b] = res.logits.slice(b * V, (b + 1) * V); };
  for (let t = 0; t < maxNew; t++) {
    opts.onLogits?.(t, res.logits);
    keepLast();
    const tokIds = new BigInt64Array(B);
    const tokPos = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const next = argmax(res.logits, b * V, V);
      if (!done[b]) {
        if (stop.has(next)) {
          done[b] = true;
          results[b].finish = 'stop';
        } else {
          results[b].ids.push(next);
          ctx.counters.generatedTokens++;
        }
      }
      tokIds[b] = BigInt(next);
      tokPos[b] = done[b] ? -1 : nextPos[b]++;
    }
    opts.onStep?.(t + 1);
    if (done.every(Boolean) || t === maxNew - 1) break;
    res = await forwardStep(ctx, tokIds, tokPos, B, 1, cache, prompts.map((_, b) => b));
    cache.append(res.present, 1, tokPos);
    for (let b = 0; b < B; b++) if (tokPos[b] >= 0) fed[b]++;
  }
  if (maxNew === 0) keepLast();
  if (suffixes && maxSuffix > 0) await scoreSuffixes(ctx, cache, results, suffixes, fed, nextPos, lastLogits);
  return results;
}


/** Feeds [unfed generated token?] + suffix per row through the cache; scores each suffix token. */
async function scoreSuffixes(ctx: EngineContext, cache: KvCache, results: Generation[], suffixes: readonly (readonly number[])[], fed: number[], nextPos: number[], lastLogits: FloatArray[]): Promise<void> {
  const B = results.length;
  const V = ctx.config.vocabSize;
  const feeds = results.map((r, b) => [...r.ids.slice(fed[b]), ...suffixes[b]]);
  const pending = results.map((r, b) => r.ids.length - fed[b]); // 0, or 1 when the length limit stopped the row
  const S = Math.max(...feeds.map((f) => f.length));
  const ids = new BigInt64Array(B * S);
  const pos = new Int32Array(B * S).fill(-1);
  const rows: number[] = [];
  feeds.forEach((f, b) => {
    const start = nextPos[b] - pending[b];
    f.forEach((t, j) => { ids[b * S + j] = BigInt(t); pos[b * S + j] = start + j; });
    for (let j = 0; j + 1 < f.length; j++) rows.push(b * S + j);
  });
  const { logits } = await forwardStep(ctx, ids, pos, B, S, cache, rows.length ? rows : [0]);
  let r = 0;
  feeds.forEach((f, b) => {
    const rowOf = (j: number) => (r + j) * V; // logits row predicting feed token j+1
    const score: SuffixScore = { argmax: [], logProbs: [] };
    suffixes[b].forEach((tok, j) => {
      const k = pending[b] + j; // index of this suffix token within the feed
      const src = k === 0 ? lastLogits[b] : logits.subarray(rowOf(k - 1), rowOf(k - 1) + V);
      score.argmax.push(argmax(src, 0, V));
      score.logProbs.push(src[tok] - logSumExp(src, 0, V));
    });
    results[b].suffix = score;
    r += Math.max(0, f.length - 1);
  });
}
