// `greater train-demo`: trains the built-in demo model (src/demo) from scratch into --out. Same --seed and
// flags, same model; the defaults reproduce the committed models/greater-demo.
import { UserError } from '../../engine';
import type { Command } from '../command';
import { FlagSpec, helpText, parseFlags, requireString } from '../args';
import { DEFAULT_TRAIN, trainDemo } from '../../demo/train';

const FLAGS: FlagSpec = {
  out: { kind: 'string', help: 'output model folder (created; existing model files are overwritten)' },
  seed: { kind: 'number', help: 'seed for initial weights and batch order', default: DEFAULT_TRAIN.seed },
  steps: { kind: 'number', help: 'optimizer steps', default: DEFAULT_TRAIN.steps },
  batch: { kind: 'number', help: 'sequences per step', default: DEFAULT_TRAIN.batchSize },
  lr: { kind: 'number', help: 'peak learning rate', default: DEFAULT_TRAIN.adam.lr },
  eval: { kind: 'number', help: 'held-out questions evaluated per prompt at the end (0 = skip)', default: DEFAULT_TRAIN.evalQuestions },
  help: { kind: 'boolean', help: 'show this help' },
};
const SUMMARY = 'train the built-in demo model (tiny Llama on multi-digit addition) from scratch';

function positiveInt(name: string, v: unknown, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UserError(`greater train-demo: --${name} must be an integer >= ${min}, got ${String(v)}`);
  return n;
}

export const command: Command = {
  summary: SUMMARY,
  async run(argv) {
    const f = parseFlags('train-demo', argv, FLAGS);
    if (f.help) {
      process.stdout.write(helpText('train-demo', SUMMARY, FLAGS) + '\n');
      return 0;
    }
    const out = requireString('train-demo', f, 'out');
    const lr = Number(f.lr);
    if (!(lr > 0 && lr < 1)) throw new UserError(`greater train-demo: --lr must be in (0, 1), got ${String(f.lr)}`);
    const report = await trainDemo({
      ...DEFAULT_TRAIN,
      out,
      seed: positiveInt('seed', f.seed, 0),
      steps: positiveInt('steps', f.steps),
      batchSize: positiveInt('batch', f.batch),
      evalQuestions: positiveInt('eval', f.eval, 0),
      adam: { ...DEFAULT_TRAIN.adam, lr },
      log: (line) => process.stderr.write(line + '\n'),
    });
    process.stdout.write(`trained ${out}: loss ${report.firstLoss.toFixed(3)} -> ${report.finalLoss.toFixed(3)} in ${report.seconds.toFixed(0)} s\n`);
    for (const e of report.evaluations) process.stdout.write(`held-out accuracy\t${(100 * e.accuracy).toFixed(1)}%\tUse ${e.instruction}\n`);
    return 0;
  },
};
