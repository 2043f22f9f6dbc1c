// Trains the built-in demo model from scratch with our own engine: seeded task files, tokenizer, init and
// batch order; weight gradients from the engine's autodiff; AdamW in TypeScript. Same seed and flags, same
// model (float32 on CPU).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LanguageModel } from '../engine';
import { Rng } from '../greater/rng';
import { AdamOptions, AdamW, DEFAULT_ADAM, learningRate } from './adam';
import { EncodedText, encodeTrainingText } from './encode';
import { evaluateInstruction } from './evaluate';
import { ALL_INSTRUCTION_WORDS } from './instructions';
import { DEMO_SHAPE, DemoShape, NamedTensor, demoConfig, initialWeights, writeModelFiles, writeWeights } from './model-folder';
import {
  DEFAULT_INITIAL_PROMPT, DEFAULT_MIX, EXTRACTOR_TEXT, MixOptions, PROMPT_TEMPLATE, REASONING_JOINER, TaskRow, sampleTaskRows,
  sampleTrainingText, toJsonl,
} from './task';
import { buildTokenizerFiles, learnMerges } from './tokenizer';

/** Fixed seeds for what must not change with --seed: the task files and the tokenizer corpus. */
const TASK_SEED = 20241209;
const CORPUS_SEED = 7;
export const TASK_FILES = { train: 'train.jsonl', heldOut: 'held-out.jsonl', all: 'questions.jsonl' } as const;
export const TASK_SIZES = { train: 100, heldOut: 300 } as const;
/** The good wording the README and tests quote next to the weak default. */
export const GOOD_EXAMPLE_PROMPT = 'a careful check.';
/** A wording that asks for a direct answer (no working): the trap a no-reasoning signal prefers. */
export const DIRECT_EXAMPLE_PROMPT = 'a quick guess.';

export interface TrainOptions {
  out: string;
  seed: number;
  steps: number;
  batchSize: number;
  warmup: number;
  adam: AdamOptions;
  shape: DemoShape;
  mix: MixOptions;
  /** Extra weight of answer-digit targets relative to response tokens. */
  answerWeight: number;
  /** Weights are also written every this many steps (0 = only at the end), so a long run can be inspected. */
  saveEvery: number;
  /** Held-out questions evaluated per prompt at the end (0 = skip). */
  evalQuestions: number;
  log: (line: string) => void;
}

export const DEFAULT_TRAIN: Omit<TrainOptions, 'out' | 'log'> = {
  // The committed model's seed. Seed 0 trains as well but its gradient at the weak prompt ranks the good
  // words last (models/greater-demo/README.md, "Seeds"), so `train-demo` without --seed rebuilds seed 1.
  seed: 1,
  steps: 4000,
  batchSize: 32,
  warmup: 100,
  adam: DEFAULT_ADAM,
  shape: DEMO_SHAPE,
  mix: DEFAULT_MIX,
  answerWeight: 2,
  saveEvery: 500,
  evalQuestions: 300,
};

export interface TrainReport {
  seed: number;
  steps: number;
  batchSize: number;
  tokens: number;
  seconds: number;
  firstLoss: number;
  finalLoss: number;
  parameters: number;
  vocabSize: number;
  evaluations: { instruction: string; correct: number; total: number; accuracy: number }[];
}

/** Corpus the BPE merges are learned on: many sampled texts plus every instruction word after a space. */
function tokenizerCorpus(): string[] {
  const rng = new Rng(CORPUS_SEED);
  const texts: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = sampleTrainingText(rng, { extractorShare: 1, counterfactualShare: 0, counterfactualDirectShare: 0, noWorkingShare: 0 });
    texts.push(t.user, t.response + REASONING_JOINER + EXTRACTOR_TEXT + t.answer);
  }
  texts.push('Use ' + ALL_INSTRUCTION_WORDS.join(' ') + '.', '\n');
  return texts;
}

export function writeTaskFiles(dir: string): { train: TaskRow[]; heldOut: TaskRow[]; avoid: Set<string> } {
  const rng = new Rng(TASK_SEED);
  const avoid = new Set<string>();
  const heldOut = sampleTaskRows(rng, TASK_SIZES.heldOut, avoid);
  const train = sampleTaskRows(rng, TASK_SIZES.train, avoid);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, TASK_FILES.train), toJsonl(train));
  fs.writeFileSync(path.join(dir, TASK_FILES.heldOut), toJsonl(heldOut));
  // Both sets are unseen by the model, so `greater optimize` may split their union with its own seeded split.
  fs.writeFileSync(path.join(dir, TASK_FILES.all), toJsonl([...train, ...heldOut]));
  const task = {
    description: 'Add two 2-3 digit numbers; the answer is an integer. Worked (column) answers are right; rounded and direct answers rarely.',
    train: TASK_FILES.train, heldOut: TASK_FILES.heldOut, all: TASK_FILES.all, questionField: 'question', answerField: 'answer',
    promptTemplate: PROMPT_TEMPLATE, reasoningJoiner: REASONING_JOINER, extractorText: EXTRACTOR_TEXT,
    initialPrompt: DEFAULT_INITIAL_PROMPT, goodPrompt: GOOD_EXAMPLE_PROMPT,
  };
  fs.writeFileSync(path.join(dir, 'task.json'), JSON.stringify(task, null, 2) + '\n');
  return { train, heldOut, avoid };
}

function isMatrix(name: string): boolean {
  return !name.endsWith('norm.weight');
}

export async function trainDemo(opts: TrainOptions): Promise<TrainReport> {
  const t0 = Date.now();
  const { avoid } = writeTaskFiles(opts.out);
  const tok = buildTokenizerFiles(learnMerges(tokenizerCorpus()), opts.shape.maxPositions);
  const config = demoConfig(opts.shape, tok);
  writeModelFiles(opts.out, config, tok);
  const init = initialWeights(opts.shape, tok.vocabSize, new Rng(opts.seed));
  writeWeights(opts.out, init, { stage: 'init' });
  const parameters = init.reduce((s, t) => s + t.data.length, 0);
  opts.log(`demo model: ${parameters} parameters, vocabulary ${tok.vocabSize}, ${opts.shape.layers} layers × hidden ${opts.shape.hiddenSize}`);

  const m = await LanguageModel.load(opts.out, { weights: 'inputs' }); // training changes the weights every step
  try {
    const params = new Map<string, Float32Array>(init.map((t) => [t.name, Float32Array.from(t.data)]));
    const adam = new AdamW(params, opts.adam, isMatrix);
    const data = new Rng(opts.seed + 1_000_003);
    let tokens = 0;
    let firstLoss = NaN;
    let recent: number[] = [];
    let finalLoss = NaN;
    let lastLog = Date.now();
    for (let step = 0; step < opts.steps; step++) {
      const batch: EncodedText[] = [];
      for (let i = 0; i < opts.batchSize; i++) {
        batch.push(encodeTrainingText(m, sampleTrainingText(data, opts.mix, avoid), tok.eosId, opts.answerWeight));
      }
      const total = batch.reduce((s, e) => s + e.targets.reduce((a, t) => a + (t.weight ?? 1), 0), 0);
      const items = batch.map((e) => ({ ids: e.ids, targets: e.targets.map((t) => ({ ...t, weight: (t.weight ?? 1) / total })) }));
      const { loss, grads } = await m.weightGradient(items);
      if (!Number.isFinite(loss)) throw new Error(`demo training diverged at step ${step} (loss ${loss}); try a lower learning rate`);
      const lr = learningRate(step, opts.steps, opts.adam.lr, opts.warmup);
      const norm = adam.step(grads, lr);
      m.setWeights(params);
      tokens += batch.reduce((s, e) => s + e.ids.length, 0);
      if (step === 0) firstLoss = loss;
      recent.push(loss);
      if (opts.saveEvery > 0 && (step + 1) % opts.saveEvery === 0 && step + 1 < opts.steps) {
        writeWeights(opts.out, init.map((t) => ({ ...t, data: params.get(t.name)! })), { seed: String(opts.seed), steps: String(step + 1) });
      }
      if (step === opts.steps - 1 || Date.now() - lastLog > 30_000 || step < 3) {
        const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
        finalLoss = mean;
        const secs = (Date.now() - t0) / 1000;
        const eta = (secs / (step + 1)) * (opts.steps - step - 1);
        opts.log(`step ${step + 1}/${opts.steps}  loss ${mean.toFixed(4)}  |g| ${norm.toFixed(3)}  lr ${lr.toExponential(2)}  ${(tokens / secs).toFixed(0)} tok/s  eta ${Math.round(eta)}s`);
        recent = [];
        lastLog = Date.now();
      }
    }
    const tensors: NamedTensor[] = init.map((t) => ({ ...t, data: params.get(t.name)! }));
    writeWeights(opts.out, tensors, { seed: String(opts.seed), steps: String(opts.steps) });
    const evaluations: TrainReport['evaluations'] = [];
    if (opts.evalQuestions > 0) {
      for (const instruction of [GOOD_EXAMPLE_PROMPT, DEFAULT_INITIAL_PROMPT, DIRECT_EXAMPLE_PROMPT]) {
        const r = await evaluateInstruction(m, path.join(opts.out, TASK_FILES.heldOut), instruction, opts.evalQuestions);
        evaluations.push({ instruction, correct: r.correct, total: r.total, accuracy: r.accuracy });
        opts.log(`held-out accuracy with "Use ${instruction}": ${r.correct}/${r.total} = ${(100 * r.accuracy).toFixed(1)}%`);
      }
    }
    const report: TrainReport = {
      seed: opts.seed, steps: opts.steps, batchSize: opts.batchSize, tokens, seconds: (Date.now() - t0) / 1000,
      firstLoss, finalLoss, parameters, vocabSize: tok.vocabSize, evaluations,
    };
    fs.writeFileSync(path.join(opts.out, 'training.json'), JSON.stringify({ ...report, options: { ...opts, log: undefined, out: undefined } }, null, 2) + '\n');
    return report;
  } finally {
    await m.dispose();
  }
}
