// Everything a run, an evaluation or a dry run needs before the first step: the task and its seeded split,
// the model (after the memory check), the prompt layout and the vocabulary, with the input checks that
// must fail before hours of compute (context window, extractor that cannot appear in the text).
import { UserError } from '../engine';
import { resolveModelDir } from '../engine';
import { LanguageModel } from '../engine';
import { parseDevice, type PrecisionChoice, type QuantizeChoice } from '../engine';
import type { GreaterConfig } from './config';
import { buildLayout, encodeFragment, generationBudget, type PromptLayout } from './layout';
import { checkModelFits } from '../engine';
import type { ModelPort } from './model';
import { loadTask, splitExamples, type ExtractorSpec, type Task, type TaskExample } from './tasks';
import { buildVocabulary, type Vocabulary } from './vocab';

export interface TaskOptions {
  file: string;
  questionField?: string;
  answerField?: string;
  extractor?: ExtractorSpec;
  /** Largest dataset accepted, in MiB. */
  maxMb?: number;
}

/** The one way to build TaskOptions (CLI flags, worker RPC): absent fields stay absent, so loader defaults apply. */
export function taskOptions(file: string, f: Omit<TaskOptions, 'file'>): TaskOptions {
  return {
    file,
    ...(f.questionField !== undefined ? { questionField: f.questionField } : {}),
    ...(f.answerField !== undefined ? { answerField: f.answerField } : {}),
    ...(f.extractor !== undefined ? { extractor: f.extractor } : {}),
    ...(f.maxMb !== undefined ? { maxMb: f.maxMb } : {}),
  };
}

export interface ModelOptions {
  model: string;
  device?: string;
  /** Weight-only quantization of generation (none when absent). */
  quantize?: QuantizeChoice;
  /** Float width of the graphs (fp32 when absent). */
  precision?: PrecisionChoice;
  skipMemoryCheck?: boolean;
  /** Gradients will be taken (a run, an estimate): see the engine's LoadOptions.gradients. */
  gradients?: boolean;
}

export interface PreparedTask {
  task: Task;
  train: TaskExample[];
  heldOut: TaskExample[];
}

export function prepareTask(opts: TaskOptions, cfg: Pick<GreaterConfig, 'seed' | 'trainSize' | 'heldOutSize' | 'shuffleSplit'>): PreparedTask {
  const task = loadTask(opts.file, { questionField: opts.questionField, answerField: opts.answerField, extractor: opts.extractor, maxMb: opts.maxMb });
  const { train, heldOut } = splitExamples(task.examples, { seed: cfg.seed, nTrain: cfg.trainSize, maxHeldOut: cfg.heldOutSize, shuffle: cfg.shuffleSplit }, task.file);
  return { task, train, heldOut };
}

/** Same examples, chosen by dataset index (resume and evaluation re-select the split recorded in run.json). */
export function examplesByIndex(task: Task, indices: readonly number[], what: string): TaskExample[] {
  const byIndex = new Map(task.examples.map((e) => [e.index, e]));
  return indices.map((i) => {
    const e = byIndex.get(i);
    if (!e) throw new UserError(`${task.file}: the ${what} example at data row ${i} no longer exists or no longer fits the extractor; the file changed since the run started`);
    return e;
  });
}

export interface LoadedModel {
  model: LanguageModel;
  id: string;
  dir: string;
  revision?: string;
}

export async function loadModel(opts: ModelOptions): Promise<LoadedModel> {
  const device = parseDevice(opts.device ?? 'cpu');
  const resolved = await resolveModelDir(opts.model);
  if (!opts.skipMemoryCheck) checkModelFits(resolved.dir);
  const model = await LanguageModel.load(resolved.dir, { device, quantize: opts.quantize ?? 'none', precision: opts.precision ?? 'fp32', gradients: opts.gradients ?? false });
  if (model.deviceNote) process.stderr.write(`greater: ${model.deviceNote}\n`); // which GPU auto picked, or why none
  return { model, id: opts.model, dir: resolved.dir, ...(resolved.revision ? { revision: resolved.revision } : {}) };
}

/**
 * The extractor is teacher-forced as tokens and later searched in decoded text: if its tokens do not decode
 * back to it (special-token markers such as "<|eot_id|>" vanish when special tokens are skipped), answers
 * can never be read after it.
 */
export function checkExtractorVisible(m: ModelPort, extractorText: string, joiner: string, where: string): void {
  const ids = encodeFragment(m, joiner + extractorText, 'x');
  const seen = m.decode(ids, { skipSpecialTokens: true });
  if (!seen.includes(extractorText.trim())) {
    throw new UserError(`${where}: the extractor text ${JSON.stringify(extractorText)} never appears in the decoded text (the model's tokenizer turns it into ${JSON.stringify(seen)}); ` +
      'remove special-token markers or characters the tokenizer cannot represent from the extractor');
  }
}

export interface Prepared {
  layout: PromptLayout;
  vocab: Vocabulary;
}

export function prepareLayout(m: ModelPort, task: Task, examples: readonly TaskExample[], cfg: GreaterConfig): PromptLayout {
  checkExtractorVisible(m, task.extractor.text, cfg.reasoningJoiner, `${task.file}: extractor '${task.extractor.id}'`);
  const layout = buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: task.extractor.text });
  const ctrl = layout.encodeControl(cfg.initialPrompt);
  generationBudget(layout, ctrl.length, cfg.maxNewTokens, m.config.maxPositions, task.file);
  return layout;
}

export function prepareVocabulary(m: ModelPort, cfg: GreaterConfig): Vocabulary {
  return buildVocabulary(m, { banAllSpecial: cfg.banAllSpecial, banWhitespace: cfg.banWhitespace });
}
