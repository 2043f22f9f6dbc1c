// The start-up every task command shares (optimize, eval, extractor-check): the task and model flags, the
// built-in demo when neither --model nor --task is given, hyperparameter flags mapped onto the optimizer's
// config (a bad setting is named by the flag the user typed), and the one declaration of a one-shot command.
import { builtinDemo } from '../demo/builtin';
import { UserError, parsePrecision, parseQuantize, type PrecisionChoice, type QuantizeChoice } from '../engine';
import { BUDGETS, parseBudget } from '../greater/budgets';
import { makeConfig, type GreaterConfig } from '../greater/config';
import type { OneShotOptions } from '../greater/oneshot';
import { taskOptions as buildTaskOptions, type TaskOptions } from '../greater/setup';
import { PRESET_NAMES, extractorSpecFromArg, type ExtractorSpec } from '../greater/tasks';
import { parseFlags, requireString, type FlagSpec, type ParsedFlags } from './args';
import type { Command } from './command';

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
export const CONFIG_FLAGS: Record<string, { key: keyof GreaterConfig; kind: 'string' | 'number' | 'boolean'; help: string }> = {
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

/**
 * The config the flags describe: every CONFIG_FLAGS flag given, plus `from` (a command's own flag for a
 * config key, e.g. extractor-check's --samples → trainSize) over `fixed` settings. A bad setting is reported
 * under the flag that set it ("--top-k must be a positive integer, got 0"), not the config key.
 */
export function configFromFlags(
  flags: ParsedFlags, from: Readonly<Record<string, keyof GreaterConfig>> = {}, fixed: Partial<GreaterConfig> = {},
): GreaterConfig {
  const byFlag: Record<string, keyof GreaterConfig> = {
    seed: 'seed', ...Object.fromEntries(Object.entries(CONFIG_FLAGS).map(([flag, v]) => [flag, v.key])), ...from,
  };
  // a budget preset first, then what the command fixes, then every flag given
  const o: Record<string, unknown> = { ...(typeof flags.budget === 'string' ? BUDGETS[parseBudget(flags.budget)] : {}), ...fixed };
  for (const [flag, key] of Object.entries(byFlag)) if (flags[flag] !== undefined) o[key] = flags[flag];
  try {
    return makeConfig(o, 'flags');
  } catch (e) {
    // The CLI prefixes its own name; a setting is named by the flag the user typed ("--top-k", not "topK").
    if (!(e instanceof UserError)) throw e;
    const m = /^flags: (\w+) (.*)$/.exec(e.message);
    // a command's own flag for a key wins over the general one (--samples, not --train-size)
    const flag = m && Object.entries(byFlag).reverse().find(([f, key]) => key === m[1] && flags[f] !== undefined)?.[0];
    throw flag ? new UserError(`--${flag} ${m[2]}`) : new UserError(e.message.replace(/^flags: /, ''));
  }
}

/**
 * A one-shot task command (eval, extractor-check): its flags are TASK_FLAGS plus `flags`; start-up parses
 * them, fills in the built-in demo, runs `check`, and builds the config (see configFromFlags) before `run`.
 */
export function oneShotCommand(spec: {
  name: string;
  summary: string;
  flags: FlagSpec;
  check?: (f: ParsedFlags) => void;
  config?: { from?: Record<string, keyof GreaterConfig>; fixed?: Partial<GreaterConfig> };
  run: (opts: OneShotOptions, f: ParsedFlags) => Promise<number>;
}): Command {
  const flags: FlagSpec = { ...TASK_FLAGS, ...spec.flags };
  return {
    summary: spec.summary,
    flags,
    async run(argv) {
      const f = parseFlags(spec.name, argv, flags);
      applyBuiltinDemo(spec.name, f);
      spec.check?.(f);
      const config = configFromFlags(f, spec.config?.from, spec.config?.fixed);
      return spec.run({ ...modelAndTask(spec.name, f), prompt: config.initialPrompt, config }, f);
    },
  };
}
