// Quantization benchmark (not a test), fp32 vs int8 vs int4 side by side in one run:
//  • quality: greedy tokens of each tiny family (seeded random weights) and of stories260K (real weights) under
//    int8/int4 against fp32: tokens equal before the first difference, and the share of equal positions;
//  • speed: decode tok/s with the KV cache at SmolLM-135M's shape (batch 1 and 8), and at Qwen2.5-0.5B's
//    shape with BENCH_QWEN=1 (a 2 GB fp32 model: minutes to write and load; BENCH_QWEN=only skips SmolLM).
// BENCH_SKIP_QUALITY=1 / BENCH_SKIP_SPEED=1 run one half.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, QuantizeMode, convertLlama2c } from '../src/engine/index';
import { TinyFamily, writeTinyModel } from '../test/helpers/tiny-models';
import { median } from './timing';
import { runAsLaunched } from './launched';

const MODES: QuantizeMode[] = ['none', 'int8', 'int4'];
const FAMILIES: TinyFamily[] = ['llama', 'qwen2', 'gemma2', 'qwen3', 'gemma3_text', 'phi3', 'smollm3', 'granite', 'mistral', 'ministral'];
const SHAPES: Record<string, Record<string, unknown>> = {
  'SmolLM-135M': {
    hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64,
    intermediate_size: 1536, vocab_size: 49152, max_position_embeddings: 2048, tie_word_embeddings: true,
  },
  'Qwen2.5-0.5B': {
    hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, head_dim: 64,
    intermediate_size: 4864, vocab_size: 151936, max_position_embeddings: 4096, tie_word_embeddings: true,
  },
};

/** Greedy continuations of `prompts` under each mode. */
async function greedyByMode(dir: string, prompts: number[][], n: number): Promise<Map<QuantizeMode, number[][]>> {
  const out = new Map<QuantizeMode, number[][]>();
  for (const quantize of MODES) {
    const m = await LanguageModel.load(dir, { withoutTokenizer: true, quantize });
    out.set(quantize, (await m.generate(prompts, { maxNewTokens: n, stopIds: [] })).map((g) => g.ids));
    await m.dispose();
  }
  return out;
}

/** "first difference at / equal positions" of `got` against `ref`, summed over sequences. */
function agreement(ref: number[][], got: number[][]): string {
  let prefix = 0, equal = 0, total = 0;
  ref.forEach((r, i) => {
    let k = 0;
    while (k < r.length && r[k] === got[i][k]) k++;
    prefix += k;
    r.forEach((t, j) => { equal += t === got[i][j] ? 1 : 0; });
    total += r.length;
  });
  return `${prefix}/${total} before the first change, ${((100 * equal) / total).toFixed(0)}% equal`;
}

async function quality(tmp: string): Promise<void> {
  const rows: string[] = [];
  const prompts = [[5, 77, 140, 3], [200, 61, 9, 33, 150, 18], [94, 12], [7, 8, 9, 10, 11]];
  for (const family of FAMILIES) {
    const dir = path.join(tmp, family);
    writeTinyModel(dir, family, { seed: 7 });
    const g = await greedyByMode(dir, prompts, 32);
    rows.push(`| tiny ${family} (4 prompts × 32) | ${agreement(g.get('none')!, g.get('int8')!)} | ${agreement(g.get('none')!, g.get('int4')!)} |`);
  }
  const stories = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
  if (fs.existsSync(path.join(stories, 'stories260K.bin'))) {
    const dir = path.join(tmp, 'stories260K');
    convertLlama2c({ checkpoint: path.join(stories, 'stories260K.bin'), tokenizer: path.join(stories, 'tok512.bin'), out: dir });
    const g = await greedyByMode(dir, [[1], [1, 403, 407], [1, 365, 1046, 260, 8]].map((p) => p.filter((t) => t < 512)), 256);
    rows.push(`| stories260K (3 prompts × 256) | ${agreement(g.get('none')!, g.get('int8')!)} | ${agreement(g.get('none')!, g.get('int4')!)} |`);
  } else rows.push(`| stories260K | skipped: ${stories} is absent | |`);
  process.stdout.write(`\n| greedy tokens vs fp32 | int8 | int4 |\n|---|---|---|\n${rows.join('\n')}\n`);
}

async function speed(tmp: string, shape: string): Promise<void> {
  const dir = path.join(tmp, shape);
  process.stdout.write(`writing a seeded random ${shape}-shaped model…\n`);
  writeTinyModel(dir, 'llama', { seed: 1, tied: true, config: SHAPES[shape] });
  const V = SHAPES[shape].vocab_size as number;
  const ids = Array.from({ length: 64 }, (_, i) => (i * 7919 + 13) % V);
  const prompt = ids.slice(0, 16);
  const prompts8 = Array.from({ length: 8 }, (_, b) => ids.slice(b, b + 16));
  const NEW = 64;
  // All three models loaded at once, modes alternating within each repetition so all see the same machine noise
  // (at Qwen's shape about 7 GB: quantized models keep only the embedding table and the packed copies);
  // BENCH_ONE_AT_A_TIME=1 loads one model at a time where memory is short.
  const together = process.env.BENCH_ONE_AT_A_TIME !== '1';
  const loadMs = new Map<QuantizeMode, number>();
  const b1 = new Map<QuantizeMode, number[]>(MODES.map((q) => [q, []]));
  const b8 = new Map<QuantizeMode, number[]>(MODES.map((q) => [q, []]));
  const first = new Map<QuantizeMode, number[]>();
  const load = async (quantize: QuantizeMode) => {
    const t = performance.now();
    const m = await LanguageModel.load(dir, { withoutTokenizer: true, quantize });
    await m.generate([prompt], { maxNewTokens: 2, stopIds: [] }); // session creation (and packing) counted as load
    loadMs.set(quantize, performance.now() - t);
    return m;
  };
  const measure = async (q: QuantizeMode, m: LanguageModel) => {
    let t = performance.now();
    const [g] = await m.generate([prompt], { maxNewTokens: NEW, stopIds: [] });
    b1.get(q)!.push(performance.now() - t);
    first.set(q, g.ids);
    t = performance.now();
    await m.generate(prompts8, { maxNewTokens: NEW, stopIds: [] });
    b8.get(q)!.push(performance.now() - t);
  };
  if (together) {
    const models = new Map<QuantizeMode, LanguageModel>();
    for (const q of MODES) models.set(q, await load(q));
    for (let rep = 0; rep < 3; rep++) for (const q of MODES) await measure(q, models.get(q)!);
    for (const m of models.values()) await m.dispose();
  } else {
    for (const q of MODES) {
      const m = await load(q);
      for (let rep = 0; rep < 2; rep++) await measure(q, m);
      await m.dispose();
    }
  }
  const tps = (n: number, ms: number) => ((n / ms) * 1000).toFixed(1);
  const rows: [string, (q: QuantizeMode) => string][] = [
    ['load + first decode (quantizing included), ms', (q) => loadMs.get(q)!.toFixed(0)],
    [`decode batch 1, ${NEW} tokens, tok/s`, (q) => tps(NEW, median(b1.get(q)!))],
    [`decode batch 8, ${NEW} tokens each, tok/s`, (q) => tps(8 * NEW, median(b8.get(q)!))],
    ['speed-up batch 1 vs fp32', (q) => `${(median(b1.get('none')!) / median(b1.get(q)!)).toFixed(2)}×`],
    ['speed-up batch 8 vs fp32', (q) => `${(median(b8.get('none')!) / median(b8.get(q)!)).toFixed(2)}×`],
    [`greedy batch-1 tokens vs fp32`, (q) => agreement([first.get('none')!], [first.get(q)!])],
  ];
  process.stdout.write(`\n| ${shape} shape | fp32 | int8 | int4 |\n|---|---|---|---|\n${rows.map(([name, f]) => `| ${name} | ${MODES.map(f).join(' | ')} |`).join('\n')}\n`);
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-quantize-'));
  try {
    if (process.env.BENCH_SKIP_QUALITY !== '1') await quality(tmp);
    if (process.env.BENCH_SKIP_SPEED !== '1') {
      if (process.env.BENCH_QWEN !== 'only') await speed(tmp, 'SmolLM-135M');
      if (process.env.BENCH_QWEN === '1' || process.env.BENCH_QWEN === 'only') await speed(tmp, 'Qwen2.5-0.5B');
    }
    process.stdout.write(`\n(${os.cpus().length} cores: ${os.cpus()[0]?.model ?? 'unknown CPU'})\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runAsLaunched(main);
