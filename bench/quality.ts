// Quality benchmark on the built-in demo (not a test): held-out accuracy after the same small budget of
// optimisation steps (so the same number of evaluated candidates per step) for GReaTer (default and
// --faithful), random search over the same proposal pool, and the "gradient without reasoning" ablation,
// over 3 seeds, each seed with its own train / held-out split (≥ 200 held-out questions).
// BENCH_STEPS (default 3) sets the budget; BENCH_MODEL another demo-shaped folder (e.g. a `greater train-demo`
// checkpoint); the table gives mean ± sample std and [min, max].
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinDemo } from '../src/demo/builtin';
import { makeConfig, type GreaterConfig } from '../src/greater/config';
import { startRun } from '../src/greater/run';
import { GOOD_WORDS } from '../src/demo/instructions';
import { runAsLaunched } from './launched';

const SEEDS = [0, 1, 2];
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const HELD_OUT = 250;
const GOOD = new Set(GOOD_WORDS.map((w) => ' ' + w));
const DEMO = builtinDemo();
const MODEL_DIR = process.env.BENCH_MODEL ? path.resolve(process.env.BENCH_MODEL) : DEMO.modelDir;
const TASK_FILE = process.env.BENCH_MODEL ? path.join(MODEL_DIR, path.basename(DEMO.taskFile)) : DEMO.taskFile;
const METHODS: { name: string; config: Partial<GreaterConfig> }[] = [
  { name: 'GReaTer (default)', config: {} },
  { name: 'GReaTer --faithful', config: { faithful: true } },
  { name: 'random search (same pool, same count)', config: { candidateRanking: 'random' } },
  { name: 'gradient without reasoning', config: { gradientOverReasoning: false } },
];

interface Outcome { initial: number; best: number; evaluated: number; seconds: number; prompt: string; pools: string[] }

async function runOne(seed: number, extra: Partial<GreaterConfig>, out: string): Promise<Outcome> {
  const config = makeConfig({
    seed, steps: STEPS, heldOutSize: HELD_OUT, initialPrompt: DEMO.initialPrompt, promptTemplate: DEMO.promptTemplate,
    reasoningJoiner: DEMO.reasoningJoiner, ...extra,
  }, 'bench/quality');
  const never = new AbortController().signal;
  const t0 = performance.now();
  let initial = NaN, best = NaN, evaluated = 0, prompt = '';
  const pools: string[] = [];
  for await (const e of startRun({ model: MODEL_DIR, task: { file: TASK_FILE, extractor: { text: DEMO.extractorText } }, config, out }, { soft: never, hard: never })) {
    if (e.kind === 'phase' && e.phase === 'selection' && e.candidate?.index === 1) evaluated += e.candidate.total;
    // Good words in the proposal pool, and where the ranking put the first one (1 = ranked first).
    if (e.kind === 'candidates') {
      const first = e.candidates.findIndex((c) => GOOD.has(c.token));
      pools.push(`${e.candidates.filter((c) => GOOD.has(c.token)).length}/${e.candidates.length}${first >= 0 ? `@${first + 1}` : ''}`);
    }
    if (e.kind === 'done') { initial = e.initialAccuracy ?? NaN; best = e.bestAccuracy ?? NaN; prompt = e.bestPrompt; }
    if (e.kind === 'error') throw new Error(e.message);
  }
  return { initial, best, evaluated, seconds: (performance.now() - t0) / 1000, prompt, pools };
}

const pct = (x: number) => (100 * x).toFixed(1);
function summary(xs: number[]): string {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${pct(mean)} ± ${pct(sd)} [${pct(Math.min(...xs))}, ${pct(Math.max(...xs))}]`;
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-quality-'));
  const rows: string[] = [];
  let initials: number[] = [];
  try {
    for (const [k, method] of METHODS.entries()) {
      const outcomes: Outcome[] = [];
      for (const seed of SEEDS) {
        const o = await runOne(seed, method.config, path.join(tmp, `${k}-${seed}`));
        process.stderr.write(`${method.name}, seed ${seed}: ${pct(o.initial)}% → ${pct(o.best)}% (${o.evaluated} candidates, ${o.seconds.toFixed(0)} s) "${o.prompt}"; good words in pool per step ${o.pools.join(' ')}\n`);
        outcomes.push(o);
      }
      if (k === 0) initials = outcomes.map((o) => o.initial);
      const evaluated = outcomes.map((o) => o.evaluated).join('/');
      rows.push(`| ${method.name} | ${summary(outcomes.map((o) => o.best))} | ${evaluated} | ${(outcomes.reduce((a, o) => a + o.seconds, 0) / outcomes.length).toFixed(0)} s |`);
    }
    process.stdout.write(`\nBuilt-in demo, ${STEPS} steps, ${HELD_OUT} held-out questions, seeds ${SEEDS.join(', ')}: held-out accuracy %, mean ± std [min, max]\n\n`);
    process.stdout.write(`| method | held-out accuracy | candidates evaluated (per seed) | time per run |\n|---|---|---|---|\n`);
    process.stdout.write(`| initial prompt "${DEMO.initialPrompt}" | ${summary(initials)} | – | – |\n${rows.join('\n')}\n`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runAsLaunched(main);
