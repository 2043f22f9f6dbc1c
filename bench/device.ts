// Device benchmark (not a test): Qwen2.5-0.5B- and 1.5B-shaped seeded random models, each device side by side in
// one process (default webgpu against this host's cpu), fp32:
//  • prefill of 256 tokens (logits at the last row), ms;
//  • decoding at batch 1 and 32, tokens/s: on webgpu with the KV cache on the device (the default) and, in the
//    'webgpu host-KV' column (GREATER_HOST_KV=1), on the host as before;
//  • forward + input gradient over 256 tokens, ms;
//  • one GReaTer step with the paper's settings (50 samples, 3 candidates; reasoning capped, see --reasoning-tokens).
// A time guard (--budget-s, default 280) skips what is left once the budget is spent, so a run ends in < 5 min.
// Usage: node dist/bench/device.js [--shapes 0.5b,1.5b] [--devices webgpu,cpu] [--small] [--budget-s 280]
//   --small: a reduced shape (hidden 64, 2 layers, vocab 8192) to check the bundle on a slow adapter (lavapipe).
// scripts/device/ packs this with Node and onnxruntime-node for a bare GPU host (see its README).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel, parseDevice, resolveDevice, type Device } from '../src/engine';
import { makeConfig } from '../src/greater/config';
import { buildLayout } from '../src/greater/layout';
import { initialState, runSteps, type OptimizerContext } from '../src/greater/optimizer';
import { buildVocabulary } from '../src/greater/vocab';
import type { TaskExample } from '../src/greater/tasks';
import { writeTinyModel } from '../test/helpers/tiny-models';
import { timeMs } from './timing';

// Qwen2.5-0.5B / 1.5B config.json values (tied embeddings, 2 KV heads, head 64).
const SHAPES: Record<string, Record<string, unknown>> = {
  '0.5b': { hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, rope_theta: 1000000.0 },
  '1.5b': { hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2, vocab_size: 151936, max_position_embeddings: 32768, rope_theta: 1000000.0 },
  small: { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 8192, max_position_embeddings: 1024 },
};
const SEQ = 256;

interface Args { shapes: string[]; devices: Device[]; budgetS: number; decodeTokens: number; reasoningTokens: number; samples: number }

function parseArgs(argv: string[]): Args {
  const val = (flag: string, dflt: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] ?? dflt : dflt);
  const small = argv.includes('--small');
  const shapes = small ? ['small'] : val('--shapes', '0.5b,1.5b').split(',');
  for (const s of shapes) if (!SHAPES[s]) throw new Error(`--shapes: unknown shape '${s}'; known: ${Object.keys(SHAPES).join(', ')}`);
  const devices = val('--devices', 'webgpu,cpu').split(',').map((d) => parseDevice(d)).filter((d): d is Device => d !== 'auto');
  const num = (flag: string, dflt: number) => {
    const n = Number(val(flag, String(dflt)));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} expects a positive number`);
    return n;
  };
  return { shapes, devices, budgetS: num('--budget-s', 280), decodeTokens: num('--decode-tokens', small ? 8 : 32), reasoningTokens: num('--reasoning-tokens', small ? 8 : 32), samples: num('--samples', 50) };
}

/** One GReaTer step as `greater optimize` runs it (default config: top-k 40, 3 candidates), on `samples` examples. */
async function greaterStepMs(m: LanguageModel, samples: number, reasoningTokens: number): Promise<number> {
  const words = ['red', 'blue', 'green', 'small', 'big', 'happy', 'quiet', 'fast'];
  const examples: TaskExample[] = Array.from({ length: samples }, (_, i) => {
    const answer = words[i % words.length];
    return { index: i, line: i + 2, question: `Question ${i}: which word comes after ${words[(i + 3) % words.length]}?`, label: answer, answer, target: `The answer is ${answer}` };
  });
  const cfg = makeConfig({ steps: 1, trainSize: samples, maxNewTokens: reasoningTokens, seed: 3, initialPrompt: 'think step by step.' });
  const layout = buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: 'The answer is' });
  const never = new AbortController().signal;
  const ctx: OptimizerContext = { model: m, layout, vocab: buildVocabulary(m, cfg), config: cfg, file: 'bench', persist: () => {}, soft: never, hard: never };
  const state = await runSteps(ctx, initialState(ctx), () => {});
  return state.history[state.history.length - 1].seconds * 1000;
}

const HOST_KV = 'webgpu host-KV';

/** A column's model: a device, or webgpu with its KV cache kept on the host (decoding as before device-resident caches). */
async function loadColumn(dir: string, column: string): Promise<LanguageModel> {
  if (column !== HOST_KV) return LanguageModel.load(dir, { device: column as Device, dtype: 'float32' });
  process.env.GREATER_HOST_KV = '1';
  try {
    return await LanguageModel.load(dir, { device: 'webgpu', dtype: 'float32' });
  } finally {
    delete process.env.GREATER_HOST_KV;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const start = performance.now();
  const left = () => args.budgetS - (performance.now() - start) / 1000;
  for (const d of args.devices) {
    const r = await resolveDevice(d).catch((e: Error) => ({ device: d, note: `NOT USABLE: ${e.message}` }));
    process.stdout.write(`device ${d}: ${r.note ?? 'ok'}\n`);
  }
  process.stdout.write(`host: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; budget ${args.budgetS} s\n`);
  for (const shape of args.shapes) {
    if (left() < 10) { process.stdout.write(`\n${shape}: skipped (time guard)\n`); continue; }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `greater-device-bench-${shape}-`));
    try {
      const t0 = performance.now();
      writeTinyModel(dir, 'qwen2', { seed: 1, tied: true, config: SHAPES[shape] });
      const V = SHAPES[shape].vocab_size as number;
      process.stdout.write(`\n${shape === 'small' ? 'reduced (--small)' : `Qwen2.5-${shape.toUpperCase()}`}-shaped random model, fp32: written in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      const models = new Map<string, LanguageModel>();
      const columns: string[] = args.devices.flatMap((d) => (d === 'webgpu' ? [d, HOST_KV] : [d]));
      for (const d of columns) {
        const tl = performance.now();
        try {
          models.set(d, await loadColumn(dir, d));
          process.stdout.write(`  ${d}: loaded in ${((performance.now() - tl) / 1000).toFixed(1)} s\n`);
        } catch (e) {
          process.stdout.write(`  ${d}: not loaded: ${(e as Error).message.split('\n')[0]}\n`);
        }
      }
      const ids = Array.from({ length: SEQ }, (_, i) => (i * 7919 + 13) % V);
      const prompts = (b: number) => Array.from({ length: b }, (_, k) => ids.slice(k, k + 16));
      const tps = (b: number) => async (m: LanguageModel) => {
        const t = performance.now();
        await m.generate(prompts(b), { maxNewTokens: args.decodeTokens, stopIds: [] });
        return ((b * args.decodeTokens) / (performance.now() - t)) * 1000;
      };
      const metrics: [string, string, (m: LanguageModel) => Promise<number>][] = [
        [`prefill ${SEQ} tokens`, 'ms', (m) => timeMs(() => m.logitsAt([ids], [[SEQ - 1]]), 3)],
        [`decode batch 1 (${args.decodeTokens} tokens)`, 'tok/s', async (m) => (await tps(1)(m), tps(1)(m))],
        [`decode batch 32 (${args.decodeTokens} tokens each)`, 'tok/s', async (m) => (await tps(32)(m), tps(32)(m))],
        [`forward + input gradient, ${SEQ} tokens`, 'ms', (m) => timeMs(() => m.inputGradient([{ ids, targets: [SEQ - 4, SEQ - 3, SEQ - 2].map((p) => ({ position: p, id: ids[p + 1] })), gradPositions: [100] }]), 2)],
        [`GReaTer step (${args.samples} samples, 3 candidates, ≤${args.reasoningTokens} reasoning tokens)`, 'ms', (m) => greaterStepMs(m, args.samples, args.reasoningTokens)],
      ];
      process.stdout.write(`  ${'measure'.padEnd(64)}${columns.map((d) => d.padStart(16)).join('')}\n`);
      // Each cell is printed as soon as it is measured: if the time guard kills the run, what was measured stays.
      for (const [name, unit, fn] of metrics) {
        process.stdout.write(`  ${name.padEnd(64)}`);
        const errors: string[] = [];
        for (const d of columns) {
          const m = models.get(d);
          let cell = '—';
          if (d === HOST_KV && !name.startsWith('decode')) cell = '·'; // same as webgpu: only decoding differs
          else if (m && left() < 5) cell = 'time guard';
          else if (m) {
            try {
              const v = await fn(m);
              cell = `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)} ${unit}`;
            } catch (e) {
              cell = 'failed';
              errors.push(`  (${d}: ${(e as Error).message.split('\n')[0].slice(0, 200)})`);
            }
          }
          process.stdout.write(cell.padStart(16));
        }
        process.stdout.write(`\n${errors.map((e) => e + '\n').join('')}`);
      }
      for (const m of models.values()) await m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`\ntotal ${((performance.now() - start) / 1000).toFixed(0)} s\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`bench:device: ${e.message}\n`);
  process.exit(1);
});
