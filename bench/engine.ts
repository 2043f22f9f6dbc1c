// Engine benchmark (not a test): a seeded random model with SmolLM-135M's shape at 256 tokens.
//  • forward (logits at the last row) vs forward + input gradient (4 answer targets): ms and ratio;
//  • decoding 256 new tokens with the KV cache vs recomputing the whole prefix every token: tokens/s and ratio;
//  • the same decoding with each step's B × vocab logits copied to the host (what every step did before the
//    greedy token was picked in the graph; still the path when a caller asks for logits), at batch 1 and 8;
//  • peak RSS. Both weight placements (graph inputs, resident initializers) side by side, and a WebGPU column
//    (resident weights, KV cache on the device) where an adapter exists: a software one (lavapipe) is timed once
//    per measure, since it is a correctness device. BENCH_WEBGPU=0 leaves the column out.
// Prints one table; goals: gradient ratio ≤ 2.5, KV-cache speed-up ≥ 5×.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, argmax, resolveDevice } from '../src/engine/index';
import { softwareOnlyReason } from '../src/engine/runtime/session';
import { writeTinyModel } from '../test/helpers/tiny-models';
import { median, timeMs } from './timing';
import { runAsLaunched } from './launched';

const SMOLLM_135M = {
  hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64,
  intermediate_size: 1536, vocab_size: 49152, max_position_embeddings: 2048, tie_word_embeddings: true,
};
const SEQ = 256;
const NEW = Number(process.env.BENCH_NEW_TOKENS ?? 256);
const REPS = 5;

const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

/** Why there is no WebGPU column, or null; a software adapter is used where no GPU device exists. */
async function webgpuMissing(): Promise<{ reason: string | null; software: boolean }> {
  if (process.env.BENCH_WEBGPU === '0') return { reason: 'BENCH_WEBGPU=0', software: false };
  const software = softwareOnlyReason() !== null;
  if (software && !process.env.VK_ICD_FILENAMES && fs.existsSync(LAVAPIPE_ICD)) process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
  try {
    await resolveDevice('webgpu');
    return { reason: null, software };
  } catch (e) {
    return { reason: (e as Error).message, software };
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-bench-'));
  try {
    process.stdout.write('writing a seeded random SmolLM-135M-shaped model…\n');
    writeTinyModel(dir, 'llama', { seed: 1, tied: true, config: SMOLLM_135M });
    const ids = Array.from({ length: SEQ }, (_, i) => (i * 7919 + 13) % SMOLLM_135M.vocab_size);
    const targets = [SEQ - 5, SEQ - 4, SEQ - 3, SEQ - 2].map((p) => ({ position: p, id: ids[p + 1], temperature: 0.2 }));
    const prompt = ids.slice(0, 16);
    const measured: Partial<Record<'inputs' | 'resident' | 'webgpu', { fwd: number; fwdAll: number; grad: number; cacheMs: number; hostMs: number; b8Ms: number; b8HostMs: number; gen: number[] }>> = {};
    let fullMs = 0;
    let recomputed: number[] = [];
    const gpu = await webgpuMissing();
    if (gpu.reason) process.stdout.write(`no webgpu column: ${gpu.reason}\n`);
    const modes = gpu.reason ? (['inputs', 'resident'] as const) : (['inputs', 'resident', 'webgpu'] as const);
    for (const mode of modes) {
      const onGpu = mode === 'webgpu';
      const reps = onGpu && gpu.software ? 1 : REPS;
      const time = (fn: () => Promise<unknown>, n = reps) => timeMs(fn, Math.min(n, reps));
      const m = await LanguageModel.load(dir, { withoutTokenizer: true, weights: onGpu ? 'resident' : mode, ...(onGpu ? { device: 'webgpu' as const } : {}) });
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
      for (let k = 0; k < Math.min(3, reps); k++) {
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
    const i = measured.inputs!, r = measured.resident!, w = measured.webgpu;
    const same = recomputed.every((t, k) => t === i.gen[k]) && r.gen.every((t, k) => t === i.gen[k]);
    const rssMb = process.resourceUsage().maxRSS / 1024;
    const tps = (ms: number) => `${((NEW / ms) * 1000).toFixed(1)} tok/s`;
    const tps8 = (ms: number) => `${((8 * 64 / ms) * 1000).toFixed(1)} tok/s`;
    const row = (label: string, f: (x: typeof i) => string, cpuOnly?: [string, string]): string[] =>
      [label, ...(cpuOnly ?? [f(i), f(r)]), ...(w ? [cpuOnly ? '' : f(w)] : [])];
    const equalToCpu = w ? w.gen.filter((t, k) => t === r.gen[k]).length : 0;
    const rows: string[][] = [
      row('forward, 256 tokens (logits at last row)', (x) => `${x.fwd.toFixed(0)} ms`),
      row('forward, 256 tokens (logits at all rows)', (x) => `${x.fwdAll.toFixed(0)} ms`),
      row('forward + input gradient, 256 tokens', (x) => `${x.grad.toFixed(0)} ms`),
      row('ratio (fwd+grad) / fwd (goal ≤ 2.5)', (x) => (x.grad / x.fwd).toFixed(2)),
      row(`decode ${NEW} tokens with KV cache (argmax in the graph)`, (x) => tps(x.cacheMs)),
      row(`decode ${NEW} tokens, logits to the host each step`, (x) => tps(x.hostMs)),
      row('decode batch 8 × 64 tokens, argmax in the graph', (x) => tps8(x.b8Ms)),
      row('decode batch 8 × 64 tokens, logits to the host each step', (x) => tps8(x.b8HostMs)),
      row(`decode ${NEW} tokens by full recomputation`, () => '', [tps(fullMs), '']),
      row('KV-cache speed-up (goal ≥ 5×)', (x) => `${(fullMs / x.cacheMs).toFixed(1)}×`),
      row('cached, recomputed and resident tokens identical', () => '', [same ? 'yes' : 'NO', '']),
      ...(w ? [[`webgpu greedy tokens equal to the CPU's`, '', '', `${equalToCpu}/${NEW}`]] : []),
      row('peak RSS of the whole run', () => '', [`${rssMb.toFixed(0)} MB`, '']),
    ];
    const head = ['measure', 'weights as inputs', 'resident weights', ...(w ? [`webgpu${gpu.software ? ' (software adapter, 1 run each)' : ''}`] : [])];
    process.stdout.write(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.map((c) => `| ${c.join(' | ')} |`).join('\n')}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runAsLaunched(main);
