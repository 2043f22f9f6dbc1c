// One GReaTer step on a small model, default vs --faithful (and default + successive halving, and --faithful at the reference's cost of regenerating the current reasoning every step) side by side
// in one process: forward/backward passes, generated tokens, wall time and the ratio to the reference-cost row.
// Usage: npm run bench:greater [-- --model DIR] (default: stories260K converted from ../shared, else a tiny
// random Llama). Timing goals live here, never in tests.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { convertLlama2c } from '../src/engine/convert/llama2c';
import { makeConfig } from '../src/greater/config';
import { buildLayout } from '../src/greater/layout';
import { initialState, runSteps, type OptimizerContext } from '../src/greater/optimizer';
import { buildVocabulary } from '../src/greater/vocab';
import type { TaskExample } from '../src/greater/tasks';
import { writeTinyModel } from '../test/helpers/tiny-models';
import { runAsLaunched } from './launched';

const EXTRACTOR = 'The next word is';
/** Steps run per mode; the table shows the last one (step 1 costs the same everywhere: nothing to reuse yet). */
const STEPS = 2;
const STORIES = ['Once upon a time, there was a little girl named Lily. She liked to play with her', 'One day, Tom went to the park with his',
  'The sun was shining and the birds were', 'Sara had a big red', 'The cat saw a little', 'Ben and Mia wanted to play in the',
  'The dog was very', 'Lily looked at the sky and saw a big', 'Tim found a shiny', 'Mom said it was time for'];
const ANSWERS = ['ball', 'mom', 'singing', 'ball', 'bird', 'park', 'happy', 'cloud', 'rock', 'bed'];

function modelDir(arg: string | undefined, tmp: string): string {
  if (arg) return arg;
  const shared = path.resolve(__dirname, '..', '..', '..', 'shared', 'models', 'stories260K');
  const out = path.join(tmp, 'stories260K');
  if (fs.existsSync(path.join(shared, 'stories260K.bin'))) {
    convertLlama2c({ checkpoint: path.join(shared, 'stories260K.bin'), tokenizer: path.join(shared, 'tok512.bin'), out });
    return out;
  }
  writeTinyModel(out, 'llama', { seed: 1 });
  return out;
}

async function main(): Promise<void> {
  const argModel = process.argv.includes('--model') ? process.argv[process.argv.indexOf('--model') + 1] : undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-bench-'));
  try {
    const dir = modelDir(argModel, tmp);
    const m = await LanguageModel.load(dir);
    const examples: TaskExample[] = STORIES.map((q, i) => ({ index: i, line: i + 2, question: q, label: ANSWERS[i], answer: ANSWERS[i], target: EXTRACTOR + ANSWERS[i] }));
    const never = new AbortController().signal;
    const variants: [string, Record<string, unknown>][] = [
      ['--faithful, reasoning regenerated (reference cost)', { faithful: true, reuseReasoning: false }],
      ['--faithful', { faithful: true }], ['default', {}], ['default --halving', { halving: true }],
    ];
    const step = async (over: Record<string, unknown>) => {
      const cfg = makeConfig({ steps: STEPS, trainSize: examples.length, maxNewTokens: 48, topK: 20, topQ: 4, batchSize: 5, seed: 3, initialPrompt: 'a happy story.', ...over });
      const layout = buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: EXTRACTOR });
      const ctx: OptimizerContext = { model: m, layout, vocab: buildVocabulary(m, cfg), config: cfg, file: 'bench', persist: () => {}, soft: never, hard: never };
      const t0 = process.hrtime.bigint();
      const state = await runSteps(ctx, initialState(ctx), () => {});
      const last = state.history[state.history.length - 1];
      return { h: last, ms: last.seconds * 1000, total: Number(process.hrtime.bigint() - t0) / 1e6 };
    };
    await step({}); // warm-up: graph building and session creation
    const rows: { name: string; fwd: number; bwd: number; gen: number; ms: number; evaluated: number }[] = [];
    for (const [name, over] of variants) {
      const { h, ms } = await step(over);
      rows.push({ name, fwd: h.counts.forwardPasses, bwd: h.counts.backwardPasses, gen: h.counts.generatedTokens, ms, evaluated: h.evaluated });
    }
    const base = rows[0];
    console.log(`model ${dir} (${m.config.hiddenSize} hidden), N=${examples.length} samples, max_new_tokens 48, step ${STEPS} of ${STEPS}`);
    console.log('| mode | candidates evaluated | forward passes | backward passes | generated tokens | wall ms | time vs reference cost | tokens vs reference cost |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      console.log(`| ${r.name} | ${r.evaluated} | ${r.fwd} | ${r.bwd} | ${r.gen} | ${r.ms.toFixed(0)} | ${(r.ms / base.ms).toFixed(2)} | ${(r.gen / base.gen).toFixed(2)} |`);
    }
    await m.dispose();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runAsLaunched(main);
