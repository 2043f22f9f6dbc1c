// Batched greedy generation with a KV cache: prefill (after any cached prefixes), decode until every row
// stopped, then optional teacher-forced suffix scoring through the same cache.
import { EngineContext } from '../engine-context';
import { UserError } from '../errors';
import { FloatArray } from '../model/rope';
import { GenerateOptions, Generation, SuffixScore } from '../types';
import { forwardStep } from './forward-step';
import { DecodeCache, DeviceKvCache, KV_CHUNK, KvCache, PrefixState, leftPadAfterPrefixes } from './kv-cache';
import { logSumExp } from './log-probs';
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
  // Reusable prefixes (e.g. template + question) come from the prefix cache into the first cache
  // columns; only the rest of each prompt is prefilled. Masks are by position, so rows may differ.
  const pre = opts.prefixLengths ? await prefixCache.statesFor(prompts, opts.prefixLengths) : null;
  const P0 = pre ? Math.max(0, ...pre.map((p) => p.n)) : 0;
  // Prefill: left-padded [B,L]; pad columns get position −1.
  const { ids, pos, L, rest } = leftPadAfterPrefixes(prompts, prompts.map((_, b) => pre?.[b].n ?? 0));
  // On WebGPU the cache stays on the device (prefixes are uploaded once, by the prefill run); a caller that
  // wants every step's logits gets the host-cache path.
  const onDevice = ctx.sessions.deviceKv && !opts.onLogits;
  const hostCache = new KvCache(B, onDevice ? P0 : P0 + L + Math.min(maxNew + maxSuffix + 1, KV_CHUNK), ctx.config, ctx.make);
  if (pre && P0 > 0) hostCache.setPrefixes(pre);
  const cache: DecodeCache = onDevice ? new DeviceKvCache(B, ctx.config, hostCache) : hostCache;
  try {
    return await decode(ctx, opts, prompts, results, cache, { ids, pos, L, P0, rest, pre, maxNew, maxSuffix, stop });
  } finally {
    cache.dispose();
  }
}

interface Prefill {
  ids: BigInt64Array;
  pos: Int32Array;
  L: number;
  P0: number;
  rest: number[][];
  pre: PrefixState[] | null;
  maxNew: number;
  maxSuffix: number;
  stop: Set<number>;
}

/** Prefill, greedy decoding and suffix scoring through `cache`. */
async function decode(ctx: EngineContext, opts: GenerateOptions, prompts: readonly (readonly number[])[], results: Generation[], cache: DecodeCache, p: Prefill): Promise<Generation[]> {
  const { ids, pos, L, P0, rest, pre, maxNew, maxSuffix, stop } = p;
  const B = prompts.length;
  const V = ctx.config.vocabSize;
  const suffixes = opts.suffixes;
  // Prefill rows: each prompt's last token first (decoding starts from those), then any prompt scores;
  // a score right at the end of a cached prefix reads the logits stored with it.
  const scoreRows: number[] = [];
  const scoreIdOf: number[] = [];
  const scoreSrc: (number | FloatArray)[][] = [];
  opts.promptScores?.forEach((list, b) => {
    const n = pre ? pre[b].n : 0;
    scoreSrc.push(list.map(({ position, id }) => {
      if (position < 0 || position >= prompts[b].length) throw new UserError(`prompt score position ${position} is outside prompt ${b} (length ${prompts[b].length})`);
      ctx.checkIds([id]);
      if (position === n - 1) return pre![b].lastLogits;
      if (position < n) throw new Error(`generate: prompt score at ${position} lies inside the cached prefix of prompt ${b} (length ${n})`);
      scoreRows.push(b * L + L - rest[b].length + (position - n));
      scoreIdOf.push(id);
      return B + scoreRows.length - 1;
    }));
  });
  // Each decoding row also scores its suffix's first token in the graph: whichever step turns out to be the
  // row's last keeps the score of the suffix's first token given everything before it.
  const firstSuffix = prompts.map((_, b) => suffixes?.[b][0] ?? 0);
  const wantLogits = !!opts.onLogits;
  let res = await forwardStep(ctx, ids, pos, B, L, P0 > 0 ? cache : null, {
    rows: [...rest.map((_, b) => b * L + L - 1), ...scoreRows],
    scoreIds: [...firstSuffix, ...scoreRows.map((_, k) => scoreIdOf[k])],
    logits: wantLogits,
    present: true,
  });
  cache.append(res.present, L, pos);
  opts.promptScores?.forEach((list, b) => {
    results[b].promptLogProbs = list.map(({ id }, k) => {
      const src = scoreSrc[b][k];
      return typeof src === 'number' ? res.scores[src] : src[id] - logSumExp(src, 0, V);
    });
  });
  const done = new Array<boolean>(B).fill(false);
  const nextPos = prompts.map((p) => p.length);
  const fed = new Array<number>(B).fill(0); // generated tokens already in the cache, per row
  // Greedy choice and log-prob of the first suffix token after each row's last cached token.
  const lastScore: FirstSuffixScore[] = [];
  const keepLast = () => { if (suffixes) for (let b = 0; b < B; b++) if (!done[b]) lastScore[b] = { argmax: res.nextIds[b], logProb: res.scores[b] }; };
  for (let t = 0; t < maxNew; t++) {
    if (opts.onLogits) opts.onLogits(t, res.logits!.subarray(0, B * V));
    keepLast();
    const tokIds = new BigInt64Array(B);
    const tokPos = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const next = res.nextIds[b];
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
    res = await forwardStep(ctx, tokIds, tokPos, B, 1, cache, { rows: prompts.map((_, b) => b), scoreIds: firstSuffix, logits: wantLogits, present: true });
    cache.append(res.present, 1, tokPos);
    for (let b = 0; b < B; b++) if (tokPos[b] >= 0) fed[b]++;
  }
  if (maxNew === 0) keepLast();
  if (suffixes && maxSuffix > 0) await scoreSuffixes(ctx, cache, results, suffixes, opts.suffixScoredFrom, fed, nextPos, lastScore);
  return results;
}


interface FirstSuffixScore {
  argmax: number;
  logProb: number;
}

/**
 * Feeds [unfed generated token?] + suffix per row through the cache; scores each wanted suffix token in the graph
 * (a row of the vocabulary-wide product each, so unwanted ones get none).
 */
async function scoreSuffixes(
  ctx: EngineContext, cache: DecodeCache, results: Generation[], suffixes: readonly (readonly number[])[], scoredFrom: readonly number[] | undefined,
  fed: number[], nextPos: number[], lastScore: FirstSuffixScore[],
): Promise<void> {
  const B = results.length;
  if (scoredFrom && scoredFrom.length !== B) throw new Error(`generate: ${scoredFrom.length} suffixScoredFrom entries for ${B} prompts`);
  const feeds = results.map((r, b) => [...r.ids.slice(fed[b]), ...suffixes[b]]);
  const pending = results.map((r, b) => r.ids.length - fed[b]); // 0, or 1 when the length limit stopped the row
  const S = Math.max(...feeds.map((f) => f.length));
  const ids = new BigInt64Array(B * S);
  const pos = new Int32Array(B * S).fill(-1);
  const rows: number[] = [];
  const scoreIds: number[] = [];
  /** Per row and suffix token: its index among the scored rows, or −1. */
  const scoreRow = feeds.map((f, b) => {
    const start = nextPos[b] - pending[b];
    f.forEach((t, j) => { ids[b * S + j] = BigInt(t); pos[b * S + j] = start + j; });
    return suffixes[b].map((_, j) => {
      const k = pending[b] + j; // index of this suffix token within the feed; row k − 1 predicts it
      if (k === 0 || j < (scoredFrom?.[b] ?? 0)) return -1;
      rows.push(b * S + k - 1);
      scoreIds.push(f[k]);
      return rows.length - 1;
    });
  });
  // Nothing to score past the decode steps' own (a one-token suffix): the cache is not read again, so no pass.
  const res = rows.length ? await forwardStep(ctx, ids, pos, B, S, cache, { rows, scoreIds }) : null;
  feeds.forEach((_, b) => {
    const score: SuffixScore = { argmax: [], logProbs: [] };
    suffixes[b].forEach((_, j) => {
      const r = scoreRow[b][j];
      const src = j < (scoredFrom?.[b] ?? 0) ? { argmax: -1, logProb: NaN } : pending[b] + j === 0 ? lastScore[b] : { argmax: res!.nextIds[r], logProb: res!.scores[r] };
      score.argmax.push(src.argmax);
      score.logProbs.push(src.logProb);
    });
    results[b].suffix = score;
  });
}
