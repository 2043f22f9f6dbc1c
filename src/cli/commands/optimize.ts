// `greater optimize`: runs GReaTer on a local model and a task file, with a live progress line (or JSON
// event lines), a run folder that is checkpointed every step, and `--resume RUN_DIR`. Ctrl-C once stops
// after the current step keeping the best prompt; twice stops at once (the last checkpoint stays valid).
import type { Command } from '../command';
import { parseFlags, requireString, type FlagSpec, type ParsedFlags } from '../args';
import { builtinDemo } from '../../demo/builtin';
import { UserError, parsePrecision, parseQuantize, type PrecisionChoice, type QuantizeChoice } from '../../engine';
import { makeConfig, type GreaterConfig } from '../../greater/config';
import { ProgressLine } from '../../greater/progress';
import { resumeRun, startRun, type RunCancellation } from '../../greater/run';
import { PRESET_NAMES, extractorSpecFromArg, type ExtractorSpec } from '../../greater/tasks';
import { taskOptions as buildTaskOptions, type TaskOptions } from '../../greater/setup';
import type { RunEvent } from '../../greater/events';

/** Flags shared by optimize, eval and extractor-check. */
export const TASK_FLAGS: FlagSpec = {
  model: { kind: 'string', help: 'model folder or Hugging Face repo id (with --task; neither = the built-in demo)' },
  task: { kind: 'string', help: 'dataset file (.json BBH, .jsonl, .csv, .tsv, .json array)' },
  extractor: { kind: 'string', help: `extractor preset (${PRESET_NAMES.slice(0, 3).join(', ')}, …, gsm8k, folio, auto) or custom text ending where the answer starts` },
  'extractor-text': { kind: 'string', help: 'custom extractor text, taken as written (never matched against preset names)' },
  'max-task-mb': { kind: 'number', help: 'largest dataset file accepted, in MiB', default: 100 },
  'question-field': { kind: 'string', help: 'column holding the question' },
  'answer-field': { kind: 'string', help: 'column holding the gold answer' },
  device: { kind: 'string', help: 'cpu, cuda, webgpu or auto', default: 'cpu' },
  quantize: { kind: 'string', help: 'none, int8, int4 or auto: weight-only quantization of generation on CPU (README "Quantization")' },
  precision: { kind: 'string', help: 'fp32, fp16 or auto: float16 weights and products on WebGPU (README "Precision")' },
  seed: { kind: 'number', help: 'seed for the train/held-out split and the proposal groups', default: 0 },
  'skip-memory-check': { kind: 'boolean', help: 'load the model even if it looks too large for free memory' },
};

/** Flag → config key, for every hyperparameter exposed on the command line. */
const CONFIG_FLAGS: Record<string, { key: keyof GreaterConfig; kind: 'string' | 'number' | 'boolean'; help: string }> = {
  steps: { key: 'steps', kind: 'number', help: 'optimisation steps (default 125)' },
  prompt: { key: 'initialPrompt', kind: 'string', help: 'initial prompt (the {control} text)' },
  template: { key: 'promptTemplate', kind: 'string', help: 'user turn with {question} and {control} (default "{question}. Use {control}")' },
  joiner: { key: 'reasoningJoiner', kind: 'string', help: 'text between reasoning and extractor (default " ")' },
  'train-size': { key: 'trainSize', kind: 'number', help: 'training examples (default 50)' },
  'held-out': { key: 'heldOutSize', kind: 'number', help: 'held-out examples evaluated at the end (default 100; 0 = none)' },
  'max-new-tokens': { key: 'maxNewTokens', kind: 'number', help: 'reasoning length cap (default 1024)' },
  'top-k': { key: 'topK', kind: 'number', help: 'per-sample top-k in the proposal (default 40)' },
  'top-q': { key: 'topQ', kind: 'number', help: 'random intersections in the proposal (default 6)' },
  'batch-size': { key: 'batchSize', kind: 'number', help: 'samples per batch (default 9)' },
  'evaluate-top': { key: 'evaluateTop', kind: 'number', help: 'best prompts evaluated on the held-out set (default 1)' },
  faithful: { key: 'faithful', kind: 'boolean', help: 'reference semantics for the ALGORITHM §13 items (always replace with the best of the top 3, …)' },
  'plateau-steps': { key: 'plateauSteps', kind: 'number', help: 'stop after this many steps without a better score (default 0 = one sweep, the prompt length in tokens)' },
  'plateau-stop': { key: 'plateauStop', kind: 'boolean', help: 'default true; --plateau-stop=false runs all --steps (as --faithful does)' },
  'max-minutes': { key: 'maxMinutes', kind: 'number', help: 'refuse to start when the measured estimate exceeds this many minutes (default 0 = no limit)' },
  estimate: { key: 'estimate', kind: 'boolean', help: 'default true: time the model for a few seconds and print the run\'s estimated duration before step 1' },
  halving: { key: 'halving', kind: 'boolean', help: 'successive halving in selection (same result, fewer generations)' },
  ranking: { key: 'candidateRanking', kind: 'string', help: 'gradient (GReaTer) or random (the random-search baseline)' },
  'gradient-over-reasoning': { key: 'gradientOverReasoning', kind: 'boolean', help: 'default true; --gradient-over-reasoning=false is the "gradient without reasoning" ablation' },
};

const FLAGS: FlagSpec = {
  ...TASK_FLAGS,
  ...Object.fromEntries(Object.entries(CONFIG_FLAGS).map(([k, v]) => [k, { kind: v.kind, help: v.help }])),
  out: { kind: 'string', help: 'run folder (default .greater/runs/<run-id>)' },
  resume: { kind: 'string', help: 'continue the run in this folder from its checkpoint' },
  'eval-model': { kind: 'string', help: 'also evaluate the initial and best prompts on this model (transfer)' },
  'json-events': { kind: 'boolean', help: 'print every event as one JSON line on stdout instead of the progress line' },
};

function extractorFromFlags(cmd: string, flags: ParsedFlags): ExtractorSpec | undefined {
  const preset = flags.extractor, text = flags['extractor-text'];
  if (typeof preset === 'string' && typeof text === 'string') throw new UserError(`greater ${cmd}: give --extractor or --extractor-text, not both`);
  if (typeof text === 'string') return { text };
  return typeof preset === 'string' ? extractorSpecFromArg(preset) : undefined;
}

export function taskOptions(cmd: string, flags: ParsedFlags): TaskOptions {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return buildTaskOptions(requireString(cmd, flags, 'task'), {
    questionField: str(flags['question-field']), answerField: str(flags['answer-field']), extractor: extractorFromFlags(cmd, flags),
    maxMb: typeof flags['max-task-mb'] === 'number' ? flags['max-task-mb'] : undefined,
  });
}

/** The model and task every task command (optimize, eval, extractor-check) hands the optimizer. */
export function modelAndTask(cmd: string, flags: ParsedFlags): { model: string; device: string; quantize?: QuantizeChoice; precision?: PrecisionChoice; task: TaskOptions; skipMemoryCheck: boolean } {
  return {
    model: requireString(cmd, flags, 'model'), device: flags.device as string, task: taskOptions(cmd, flags),
    ...(typeof flags.quantize === 'string' ? { quantize: parseQuantize(flags.quantize) } : {}),
    ...(typeof flags.precision === 'string' ? { precision: parsePrecision(flags.precision) } : {}),
    skipMemoryCheck: flags['skip-memory-check'] === true,
  };
}

/** Start-up of a task command that cannot resume: flags parsed, the built-in demo filled in where no model/task is given. */
export function parseTaskFlags(cmd: string, argv: string[], spec: FlagSpec): ParsedFlags {
  const flags = parseFlags(cmd, argv, spec);
  applyBuiltinDemo(cmd, flags);
  return flags;
}

export function configFromFlags(flags: ParsedFlags): GreaterConfig {
  const o: Record<string, unknown> = { seed: flags.seed };
  for (const [flag, { key }] of Object.entries(CONFIG_FLAGS)) if (flags[flag] !== undefined) o[key] = flags[flag];
  try {
    return makeConfig(o, 'flags');
  } catch (e) {
    // The CLI prefixes its own name; a setting is named by the flag the user typed ("--top-k", not "topK").
    if (!(e instanceof UserError)) throw e;
    const m = /^flags: (\w+) (.*)$/.exec(e.message);
    const flag = m && (Object.entries(CONFIG_FLAGS).find(([, v]) => v.key === m[1])?.[0] ?? (m[1] === 'seed' ? 'seed' : undefined));
    throw flag ? new UserError(`--${flag} ${m[2]}`) : new UserError(e.message.replace(/^flags: /, ''));
  }
}

/** Renders the event stream: JSON lines, or a progress line (carriage return on a terminal). */
export async function consume(events: AsyncIterable<RunEvent>, json: boolean): Promise<RunEvent | undefined> {
  const line = new ProgressLine();
  const tty = process.stderr.isTTY === true;
  let last: RunEvent | undefined;
  for await (const e of events) {
    last = e;
    if (json) { process.stdout.write(JSON.stringify(e) + '\n'); continue; }
    if (e.kind === 'log') process.stderr.write(`${tty ? '\r\x1b[K' : ''}${e.level}: ${e.message}\n`);
    else if (e.kind === 'run-started') process.stderr.write(`run ${e.runId} in ${e.runDir}\n`);
    else if (e.kind === 'evaluation') process.stderr.write(`${tty ? '\r\x1b[K' : ''}held-out ${e.role}: ${e.correct}/${e.total} (${(100 * e.accuracy).toFixed(1)}%) ${e.prompt}\n`);
    if (line.update(e) && (tty || e.kind === 'step')) process.stderr.write(tty ? `\r\x1b[K${line.text()}` : `${line.text()}\n`);
    if (e.kind === 'step' && tty) process.stderr.write(`\r\x1b[Kstep ${e.step}: ${e.score.toFixed(4)} ${e.prompt}\n${line.text()}`);
  }
  if (tty && !json) process.stderr.write('\n');
  return last;
}

/** Ctrl-C: first → soft (finish the step, keep the best), second → hard. */
export function interruptible(): RunCancellation & { dispose(): void } {
  const soft = new AbortController();
  const hard = new AbortController();
  const onInt = () => {
    if (!soft.signal.aborted) {
      process.stderr.write('\nstopping after this step (Ctrl-C again to stop now; the last checkpoint stays)\n');
      soft.abort('soft');
    } else hard.abort('hard');
  };
  process.on('SIGINT', onInt);
  return { soft: soft.signal, hard: hard.signal, dispose: () => process.off('SIGINT', onInt) };
}

/**
 * No --model and no --task: the built-in demo (models/greater-demo), with its extractor, template and weak
 * initial prompt unless given. One of the two alone is an error: a model without data cannot be optimised.
 */
export function applyBuiltinDemo(command: string, flags: ParsedFlags): void {
  if (flags.model !== undefined && flags.task !== undefined) return;
  if (flags.model !== undefined || flags.task !== undefined) {
    throw new UserError(`greater ${command}: give both --model and --task (or neither, for the built-in demo); missing --${flags.model === undefined ? 'model' : 'task'}`);
  }
  const demo = builtinDemo();
  flags.model = demo.modelDir;
  flags.task = demo.taskFile;
  flags.extractor ??= demo.extractorText;
  flags.prompt ??= demo.initialPrompt;
  flags.template ??= demo.promptTemplate;
  flags.joiner ??= demo.reasoningJoiner;
  flags.steps ??= demo.steps;
  process.stderr.write(`no --model/--task: the built-in demo (${demo.modelDir}), adding two numbers; starting prompt "${demo.initialPrompt}"\n`);
}

export const command: Command = {
  flags: FLAGS,
  summary: 'optimise a prompt with GReaTer on a local model',
  async run(argv: string[]): Promise<number> {
    const flags = parseFlags('optimize', argv, FLAGS);
    const cancel = interruptible();
    try {
      let events: AsyncIterable<RunEvent>;
      if (typeof flags.resume === 'string') {
        // the device and number formats may change on resume (a lost GPU): the run's results do not depend on them
        const allowed = new Set(['resume', 'device', 'quantize', 'precision', 'json-events', 'skip-memory-check']);
        const extra = argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]).filter((n) => !allowed.has(n));
        if (extra.length) throw new UserError(`greater optimize: --resume takes its settings from the run folder; remove --${extra.join(', --')}`);
        events = resumeRun(flags.resume, cancel, {
          device: flags.device as string, skipMemoryCheck: flags['skip-memory-check'] === true,
          ...(typeof flags.quantize === 'string' ? { quantize: parseQuantize(flags.quantize) } : {}),
          ...(typeof flags.precision === 'string' ? { precision: parsePrecision(flags.precision) } : {}),
        });
      } else {
        applyBuiltinDemo('optimize', flags);
        events = startRun({
          ...modelAndTask('optimize', flags),
          config: configFromFlags(flags), ...(typeof flags.out === 'string' ? { out: flags.out } : {}),
          ...(typeof flags['eval-model'] === 'string' ? { evalModel: flags['eval-model'] } : {}),
        }, cancel);
      }
      const last = await consume(events, flags['json-events'] === true);
      if (last?.kind === 'done' && flags['json-events'] !== true) {
        process.stdout.write(`best prompt: ${last.bestPrompt}\n`);
        if (last.initialAccuracy !== undefined) process.stdout.write(`held-out accuracy: initial ${(100 * last.initialAccuracy).toFixed(1)}% → best ${(100 * last.bestAccuracy!).toFixed(1)}%\n`);
        if (last.reportPath) process.stdout.write(`report: ${last.reportPath}\n`);
      }
      return last?.kind === 'done' && last.reason === 'cancelled' ? 130 : 0;
    } finally {
      cancel.dispose();
    }
  },
};
