// Engine benchmark (not a test): a seeded random model with SmolLM-135M's shape at 256 tokens.
//  • forward (logits at the last row) vs forward + input gradient (4 answer targets): ms and ratio;
//  • decoding 256 new tokens with the KV cache vs recomputing the whole prefix every token: tokens/s and ratio;
//  • the same decoding with each step's B × vocab logits copied to the host (what every step did before the
//    greedy token was picked in the graph; still the path when a caller asks for logits), at batch 1 and 8;
//  • peak RSS. Both weight placements (graph inputs, resident initializers) side by side.
// Prints one table; goals: gradient ratio ≤ 2.5, KV-cache speed-up ≥ 5×.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, argmax } from '../src/engine/index';
import { writeTinyModel } from '../test/helpers/tiny-models';
import { median, timeMs } from './timing';

const SMOLLM_135M = {
  hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64,
  intermediate_size: 1536, vocab_size: 49152, max_position_embeddings: 2048, tie_word_embeddings: true,
};
const SEQ = 256;
const NEW = Number(process.env.BENCH_NEW_TOKENS ?? 256);
const REPS = 5;

const time = (fn: () => Promise<unknown>, reps = REPS) => timeMs(fn, reps);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-bench-'));
  try {
    process.stdout.write('writing a seeded random SmolLM-135M-shaped model…\n');
    writeTinyModel(dir, 'llama', { seed: 1, tied: true, config: SMOLLM_135M });
    const ids = Array.from({ length: SEQ }, (_, i) => (i * 7919 + 13) % SMOLLM_135M.vocab_size);
    const targets = [SEQ - 5, SEQ - 4, SEQ - 3, SEQ - 2].map((p) => ({ position: p, id: ids[p + 1], temperature: 0.2 }));
    const prompt = ids.slice(0, 16);
    const measured: Record<string, { fwd: number; fwdAll: number; grad: number; cacheMs: number; hostMs: number; b8Ms: number; b8HostMs: number; gen: number[] }> = {};
    let fullMs = 0;
    let recomputed: number[] = [];
    for (const mode of ['inputs', 'resident'] as const) {
      const m = await LanguageModel.load(dir, { withoutTokenizer: true, weights: mode });
      const fwd = await time(() => m.logitsAt([ids], [[SEQ - 1]]));
      const fwdAll = await time(() => m.logits([ids]), 3);
      const grad = await time(() => m.inputGradient([{ ids, targets, gradPositions: [100] }]));
      await m.generate([prompt], { maxNewTokens: 2, stopIds: [] }); // warm-up
      // In-graph argmax vs logits to the host, alternated so both see the same machine noise.
      const decodeRun = async (host: boolean, prompts: number[][], n: number) => {
        const t = performance.now();
        const out = await m.generate(prompts, { maxNewTokens: n, stopIds: [], ...(host ? { onLogits: () => {} } : {}) });
        return { ms: performance.now() - t, out };
      };
      const prompts8 = Array.from({ length: 8 }, (_, b) => ids.slice(b, b + 16));
      const b1s: number[] = [], b1h: number[] = [], b8s: number[] = [], b8h: number[] = [];
      let gen = { ids: [] as number[] };
      for (let k = 0; k < 3; k++) {
        const a = await decodeRun(false, [prompt], NEW);
        const h = await decodeRun(true, [prompt], NEW);
        if (h.out[0].ids.some((t, j) => t !== a.out[0].ids[j])) throw new Error('in-graph and host argmax decoded different tokens');
        gen = a.out[0];
        b1s.push(a.ms);
        b1h.push(h.ms);
        b8s.push((await decodeRun(false, prompts8, 64)).ms);
        b8h.push((await decodeRun(true, prompts8, 64)).ms);
      }
      const cacheMs = median(b1s), hostMs = median(b1h);
      measured[mode] = { fwd, fwdAll, grad, cacheMs, hostMs, b8Ms: median(b8s), b8HostMs: median(b8h), gen: gen.ids };
      if (mode === 'inputs') {
        const seq = [...prompt];
        const tFull0 = performance.now();
        for (let t = 0; t < NEW; t++) {
          const [l] = await m.logitsAt([seq], [[seq.length - 1]]);
          seq.push(argmax(l, 0, SMOLLM_135M.vocab_size));
        }
        fullMs = performance.now() - tFull0;
        recomputed = seq.slice(prompt.length);
      }
      await m.dispose();
    }
    const i = measured.inputs, r = measured.resident;
    const same = recomputed.every((t, k) => t === i.gen[k]) && r.gen.every((t, k) => t === i.gen[k]);
    const rssMb = process.resourceUsage().maxRSS / 1024;
    const tps = (ms: number) => `${((NEW / ms) * 1000).toFixed(1)} tok/s`;
    const tps8 = (ms: number) => `${((8 * 64 / ms) * 1000).toFixed(1)} tok/s`;
    const rows: [string, string, string][] = [
      ['forward, 256 tokens (logits at last row)', `${i.fwd.toFixed(0)} ms`, `${r.fwd.toFixed(0)} ms`],
      ['forward, 256 tokens (logits at all rows)', `${i.fwdAll.toFixed(0)} ms`, `${r.fwdAll.toFixed(0)} ms`],
      ['forward + input gradient, 256 tokens', `${i.grad.toFixed(0)} ms`, `${r.grad.toFixed(0)} ms`],
      ['ratio (fwd+grad) / fwd (goal ≤ 2.5)', (i.grad / i.fwd).toFixed(2), (r.grad / r.fwd).toFixed(2)],
      [`decode ${NEW} tokens with KV cache (argmax in the graph)`, tps(i.cacheMs), tps(r.cacheMs)],
      [`decode ${NEW} tokens, logits to the host each step`, tps(i.hostMs), tps(r.hostMs)],
      ['decode batch 8 × 64 tokens, argmax in the graph', tps8(i.b8Ms), tps8(r.b8Ms)],
      ['decode batch 8 × 64 tokens, logits to the host each step', tps8(i.b8HostMs), tps8(r.b8HostMs)],
      [`decode ${NEW} tokens by full recomputation`, tps(fullMs), ''],
      ['KV-cache speed-up (goal ≥ 5×)', `${(fullMs / i.cacheMs).toFixed(1)}×`, `${(fullMs / r.cacheMs).toFixed(1)}×`],
      ['cached, recomputed and resident tokens identical', same ? 'yes' : 'NO', ''],
      ['peak RSS of the whole run', `${rssMb.toFixed(0)} MB`, ''],
    ];
    process.stdout.write(`\n| measure | weights as inputs | resident weights |\n|---|---|---|\n${rows.map((c) => `| ${c.join(' | ')} |`).join('\n')}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exitCode = 1;
});
