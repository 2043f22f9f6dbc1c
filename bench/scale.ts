// CPU engine at a real model's scale (not a test): a seeded random model in Qwen2.5-0.5B's shape (fp32, 1.98 GB),
// our engine against PyTorch (the peer in ../shared/peers/, Debian's python3-torch) and against the memory-bandwidth
// bound, all measured in this one run on the same model folder:
//  • warm-up: load → first forward, and the first gradient after it (session creation and optimisation);
//  • forward over 256 tokens and forward + input gradient, ms;
//  • greedy decoding tok/s at batch 1 (16-token prompt) and batch 8 (16-token prompt, 128 new), and at batch
//    8 / 16 / 50 after a 150-token prompt (64 new), with the CPU cores busy during batch-1 decoding;
//  • a step's cost with room for 1024 new tokens against room for 64, at the same filled length;
//  • peak RSS of our engine (its own child process), against the weights' size;
//  • warm-up and peak RSS to the first gradient with the weights cache (runtime/weights-cache.ts, in a folder of this
//    run): the first run writes the entry, the next ones read only the embedding table (the other rows run without it);
//  • each of ours twice where glibc gives huge pages: as the CLI and the extension start the engine (huge pages) and
//    with 4 KiB pages (GREATER_HUGE_PAGES=0), side by side.
// The bound: bytes of weights one decode step reads / read bandwidth measured by bench/membw.c (gcc, 2 threads).
// Usage: node dist/bench/scale.js [--shape 0.5b|small] [--skip-torch]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/index';
import { writeTinyModel } from '../test/helpers/tiny-models';
import { HUGE_PAGES_ENV, runsOnGlibc, withHugePages } from '../src/worker/protocol/launch-env';
import { median, timeMs } from './timing';

const SHAPES: Record<string, Record<string, unknown>> = {
  '0.5b': { hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, rope_theta: 1000000.0, tie_word_embeddings: true },
  small: { hidden_size: 128, intermediate_size: 256, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 4096, max_position_embeddings: 2048, tie_word_embeddings: true },
};
const SEQ = 256;
const REPO = path.resolve(__dirname, '..', '..');
const PEER = path.resolve(REPO, '..', 'shared', 'peers', 'torch_bench.py');

export interface OursResult {
  warmFwdMs: number;
  warmGradMs: number;
  fwdMs: number;
  gradMs: number;
  decode: Record<string, number>; // label → tok/s
  b1Cores: number;
  roomMs: { r64: number; r1024: number };
  peakRssMb: number;
  weightsMb: number;
}

const ids = (n: number, V: number, salt = 0) => Array.from({ length: n }, (_, i) => ((i + salt * 31) * 7919 + 13) % V);

/** Load → first forward → first gradient only, and the peak RSS so far (the weights cache's rows). */
async function warmOnly(dir: string): Promise<{ warmFwdMs: number; warmGradMs: number; peakRssMb: number }> {
  const V = Number(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).vocab_size);
  const seq = ids(SEQ, V);
  const t0 = performance.now();
  const m = await LanguageModel.load(dir, { withoutTokenizer: true });
  await m.logitsAt([seq], [[SEQ - 1]]);
  const warmFwdMs = performance.now() - t0;
  const t1 = performance.now();
  await m.inputGradient([{ ids: seq, targets: [{ position: SEQ - 2, id: seq[SEQ - 1] }], gradPositions: [100] }]);
  const warmGradMs = performance.now() - t1;
  await m.dispose();
  return { warmFwdMs, warmGradMs, peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

/** Our engine, run in its own process so its peak RSS is its own. */
async function ours(dir: string): Promise<OursResult> {
  const V = Number(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).vocab_size);
  const seq = ids(SEQ, V);
  const targets = [SEQ - 5, SEQ - 4, SEQ - 3, SEQ - 2].map((p) => ({ position: p, id: seq[p + 1], temperature: 0.2 }));
  const gradItem = { ids: seq, targets, gradPositions: [100] };
  const t0 = performance.now();
  const m = await LanguageModel.load(dir, { withoutTokenizer: true });
  await m.logitsAt([seq], [[SEQ - 1]]);
  const warmFwdMs = performance.now() - t0;
  const t1 = performance.now();
  await m.inputGradient([gradItem]);
  const warmGradMs = performance.now() - t1;
  // warmed up above, or by the untimed first run of each decoding shape below
  const timeIt = (fn: () => Promise<unknown>, reps: number) => timeMs(fn, reps, 0);
  const fwdMs = await timeIt(() => m.logitsAt([seq], [[SEQ - 1]]), 3);
  const gradMs = await timeIt(() => m.inputGradient([gradItem]), 3);
  const decode: Record<string, number> = {};
  let b1Cores = 0;
  const dec = async (label: string, B: number, promptLen: number, n: number) => {
    const prompts = Array.from({ length: B }, (_, b) => ids(promptLen, V, b + 1));
    await m.generate(prompts, { maxNewTokens: 2, stopIds: [] }); // first run of this shape
    const c0 = process.cpuUsage();
    const ms = await timeIt(() => m.generate(prompts, { maxNewTokens: n, stopIds: [] }), B * promptLen > 1000 ? 1 : 2);
    const c = process.cpuUsage(c0);
    if (B === 1) b1Cores = (c.user + c.system) / 1000 / (2 * ms);
    decode[label] = (B * n * 1000) / ms;
  };
  await dec('b1 · 16 + 128', 1, 16, 128);
  await dec('b8 · 16 + 128', 8, 16, 128);
  for (const B of [8, 16, 50]) await dec(`b${B} · 150 + 64`, B, 150, 64);
  // Same filled length (150 + 64), room for 64 vs 1024 new tokens: stop after 64 steps either way.
  const STOP = 'stop after 64 steps';
  const room = async (maxNew: number) => {
    const prompts = Array.from({ length: 8 }, (_, b) => ids(150, V, b + 1));
    const t = performance.now();
    try {
      await m.generate(prompts, { maxNewTokens: maxNew, stopIds: [], onStep: (s) => { if (s >= 64) throw new Error(STOP); } });
    } catch (e) {
      if ((e as Error).message !== STOP) throw e;
    }
    return performance.now() - t;
  };
  const r64: number[] = [], r1024: number[] = [];
  for (let k = 0; k < 2; k++) {
    r64.push(await room(64));
    r1024.push(await room(1024));
  }
  await m.dispose();
  const weightsMb = fs.statSync(path.join(dir, 'model.safetensors')).size / 2 ** 20;
  return { warmFwdMs, warmGradMs, fwdMs, gradMs, decode, b1Cores, roomMs: { r64: median(r64), r1024: median(r1024) }, peakRssMb: process.resourceUsage().maxRSS / 1024, weightsMb };
}

interface TorchResult { fwdMs?: number; grad?: Record<string, { ms: number }>; dec?: Record<string, { e2eTokPerS: number }>; peakRssMB?: number }

function torch(dir: string, args: string[]): TorchResult | string {
  if (!fs.existsSync(PEER)) return `no torch peer at ${PEER}`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'Debian python3-torch is not installed (apt-get install -y python3-torch)';
  const timeoutMin = Number(process.env.BENCH_TORCH_MINUTES ?? 20);
  try {
    const out = execFileSync('/usr/bin/python3', [PEER, dir, '--threads', '2', ...args], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: timeoutMin * 60_000 });
    return JSON.parse(out.trim().split('\n').pop()!) as TorchResult;
  } catch (e) {
    if ((e as { signal?: string }).signal === 'SIGTERM') return `the torch peer ran past ${timeoutMin} min (BENCH_TORCH_MINUTES)`;
    throw e;
  }
}

/** Read bandwidth in GB/s (2 threads, 1 GiB) from bench/membw.c, or why it could not be measured. */
function bandwidth(): number | string {
  const src = path.join(REPO, 'bench', 'membw.c');
  const bin = path.join(os.tmpdir(), `greater-membw-${process.pid}`);
  const cc = spawnSync('gcc', ['-O3', '-march=native', '-ffast-math', '-fopenmp', '-o', bin, src], { encoding: 'utf8' });
  if (cc.status !== 0) return `gcc could not build bench/membw.c (${(cc.stderr || String(cc.error)).split('\n')[0]})`;
  try {
    return Number(execFileSync(bin, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } }).trim());
  } finally {
    fs.rmSync(bin, { force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    process.stdout.write(JSON.stringify(await ours(argv[1])) + '\n');
    return;
  }
  if (argv[0] === '--warm-child') {
    process.stdout.write(JSON.stringify(await warmOnly(argv[1])) + '\n');
    return;
  }
  const shape = argv.includes('--shape') ? argv[argv.indexOf('--shape') + 1] : '0.5b';
  if (!SHAPES[shape]) throw new Error(`--shape: unknown '${shape}'; known: ${Object.keys(SHAPES).join(', ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-scale-'));
  try {
    process.stdout.write(`writing a seeded random ${shape}-shaped model (qwen2 layout)…\n`);
    writeTinyModel(dir, 'qwen2', { seed: 5, tied: true, config: SHAPES[shape] });
    const bw = bandwidth();
    process.stdout.write(`read bandwidth: ${typeof bw === 'number' ? `${bw.toFixed(1)} GB/s` : `not measured: ${bw}`}\n`);
    // Our engine as the CLI and the extension start it (huge pages where glibc gives them), and, for comparison,
    // with 4 KiB pages (GREATER_HUGE_PAGES=0).
    const child = <T>(mode: string, env: NodeJS.ProcessEnv): T => {
      const c = spawnSync(process.execPath, [__filename, mode, dir], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'], env });
      if (c.status !== 0) throw new Error(`our engine's run failed (exit ${c.status})`);
      return JSON.parse(c.stdout.trim().split('\n').pop()!) as T;
    };
    const noCache = { ...process.env, GREATER_WEIGHTS_CACHE: '0' };
    const run = (env: NodeJS.ProcessEnv): OursResult => child<OursResult>('--child', env);
    const huge = withHugePages(noCache, process.platform, runsOnGlibc());
    const small = huge ? run({ ...noCache, [HUGE_PAGES_ENV]: '0' }) : undefined;
    if (small) process.stdout.write(`ours, 4 KiB pages: ${JSON.stringify(small)}\n`);
    const o = run(huge ?? noCache);
    process.stdout.write(`ours${huge ? ', huge pages' : ''}: ${JSON.stringify(o)}\n`); // kept even if the torch peer below never ends
    const cacheEnv: NodeJS.ProcessEnv = { ...(huge ?? noCache), GREATER_CACHE_DIR: path.join(dir, 'cache') };
    delete cacheEnv.GREATER_WEIGHTS_CACHE;
    type Warm = Awaited<ReturnType<typeof warmOnly>>;
    const [coldRun, cachedRun] = [child<Warm>('--warm-child', cacheEnv), child<Warm>('--warm-child', cacheEnv)];
    process.stdout.write(`ours with the weights cache, first run / next run: ${JSON.stringify(coldRun)} / ${JSON.stringify(cachedRun)}\n`);
    const skipTorch = argv.includes('--skip-torch');
    const tShort = skipTorch ? 'skipped (--skip-torch)' : torch(dir, ['--tasks', 'fwd,grad,dec', '--batches', '1,8', '--prompt', '16', '--new', '128', '--reps', '2', '--gradlen', String(SEQ)]);
    const tLong = skipTorch || typeof tShort === 'string' ? tShort : torch(dir, ['--tasks', 'dec', '--batches', '8,16,50', '--prompt', '150', '--new', '64', '--reps', '1']);
    if (typeof tShort === 'string') process.stdout.write(`torch: not measured: ${tShort}\n`);
    else process.stdout.write(`torch peer: ${JSON.stringify(tShort)}\n${JSON.stringify(tLong)}\n`);
    const tDec = (t: TorchResult | string, B: number) => (typeof t === 'string' ? undefined : t.dec?.[String(B)]?.e2eTokPerS);
    const weightsGB = o.weightsMb * 2 ** 20 / 1e9;
    // A decode step reads every weight once, except the embedding table (a gather) unless the head is tied to it.
    const bound = typeof bw === 'number' ? bw / weightsGB : undefined;
    // Rows: measure, ours (as launched), ours with 4 KiB pages, torch, ratio of ours to torch or to the goal.
    const rows: [string, string, string, string, string][] = [];
    const f = (x: number | undefined, d = 1) => (x === undefined ? '–' : x.toFixed(d));
    const ratio = (a: number | undefined, b: number | undefined, lowerIsBetter = false) => (a === undefined || b === undefined ? '–' : `${(lowerIsBetter ? b / a : a / b).toFixed(2)}×`);
    const both = (cell: (x: OursResult) => string): [string, string] => [cell(o), small ? cell(small) : '–'];
    rows.push(['warm-up: load → first forward / first gradient (s)', ...both((x) => `${f(x.warmFwdMs / 1000)} / ${f(x.warmGradMs / 1000)}`), '–', 'goal ≤ 3 s']);
    const tf = typeof tShort === 'string' ? undefined : tShort.fwdMs, tg = typeof tShort === 'string' ? undefined : tShort.grad?.['1']?.ms;
    rows.push([`forward, ${SEQ} tokens (ms)`, ...both((x) => f(x.fwdMs, 0)), f(tf, 0), `${ratio(o.fwdMs, tf, true)} torch's speed`]);
    rows.push([`forward + input gradient, ${SEQ} tokens (ms)`, ...both((x) => f(x.gradMs, 0)), f(tg, 0), `${ratio(o.gradMs, tg, true)} torch's speed`]);
    for (const [label, tps] of Object.entries(o.decode)) {
      const B = Number(/^b(\d+)/.exec(label)![1]);
      const t = label.includes('150') ? tDec(tLong, B) : tDec(tShort, B);
      const note = B === 1 && bound ? `${ratio(tps, t)} torch; ${(tps / bound).toFixed(2)}× the bound (${bound.toFixed(1)} tok/s)` : ratio(tps, t) + ' torch';
      rows.push([`decode ${label} (tok/s)`, ...both((x) => f(x.decode[label])), f(t), note]);
    }
    rows.push(['cores busy in batch-1 decoding (of 2)', ...both((x) => f(x.b1Cores * 2, 2)), '–', '']);
    rows.push(['b8 · 150 + 64 steps, room for 1024 vs 64 (ms)', ...both((x) => `${f(x.roomMs.r1024, 0)} vs ${f(x.roomMs.r64, 0)}`), '–', `${(o.roomMs.r1024 / o.roomMs.r64).toFixed(2)}× (goal ≤ 1.10)`]);
    const warmCells = (x: Warm) => `${f(x.warmFwdMs / 1000)} / ${f(x.warmGradMs / 1000)} s, ${f(x.peakRssMb, 0)} MB`;
    rows.push(['weights cache, first run → next runs: warm-up / peak RSS', `${warmCells(coldRun)} → ${warmCells(cachedRun)}`, '–', '–', 'goal ≤ 3 s']);
    rows.push(['peak RSS (MB) / weights (MB)', ...both((x) => `${f(x.peakRssMb, 0)} / ${f(x.weightsMb, 0)}`), typeof tShort === 'string' ? '–' : f(tShort.peakRssMB, 0), `${(o.peakRssMb / o.weightsMb).toFixed(2)}× the weights (goal ≤ 1.3)`]);
    const w = Math.max(...rows.map((r) => r[0].length));
    process.stdout.write(`\n| measure (${shape} shape, CPU, 2 threads) | ours | ours, 4 KiB pages | torch | ratio |\n|---|---|---|---|---|\n`);
    for (const r of rows) process.stdout.write(`| ${r[0].padEnd(w)} | ${r.slice(1).join(' | ')} |\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
