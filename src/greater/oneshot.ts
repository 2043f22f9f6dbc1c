// One-shot jobs outside a run: evaluate a prompt on a task (`greater eval`, eval/prompt) and the extractor
// dry run (`greater extractor-check`, extractor/check): reasoning with the prompt for a few samples, the
// extractor appended, the extracted answer next to the gold one.
import type { PrecisionChoice, QuantizeChoice } from '../engine';
import type { GreaterConfig } from './config';
import type { RunEstimate } from './estimate';
import { initialState } from './optimizer';
import { measureRun } from './run';
import { evaluatePrompt, type PromptEvaluation } from './evaluation';
import { generationBudget } from './layout';
import { loadModel, prepareLayout, prepareTask, prepareVocabulary, type TaskOptions } from './setup';
import { checkExtractorMatches, type ExtractorCheck, type Task } from './tasks';

export interface OneShotOptions {
  model: string;
  device?: string;
  quantize?: QuantizeChoice;
  precision?: PrecisionChoice;
  task: TaskOptions;
  /** The {control} text. */
  prompt: string;
  config: GreaterConfig;
  skipMemoryCheck?: boolean;
}

export type SplitChoice = 'heldout' | 'train' | 'all';

function cancelCheck(signal?: AbortSignal): () => void {
  return () => { if (signal?.aborted) throw new Error('cancelled'); };
}

async function evaluateOn(opts: OneShotOptions, pick: (t: ReturnType<typeof prepareTask>) => Task['examples'], signal?: AbortSignal, onProgress?: (d: number, n: number) => void): Promise<{ ev: PromptEvaluation; task: Task; firstInput: string }> {
  const cfg = { ...opts.config, initialPrompt: opts.prompt };
  const prepared = prepareTask(opts.task, cfg);
  const examples = pick(prepared);
  const loaded = await loadModel({ model: opts.model, device: opts.device, quantize: opts.quantize, precision: opts.precision, skipMemoryCheck: opts.skipMemoryCheck });
  try {
    const layout = prepareLayout(loaded.model, prepared.task, examples, cfg);
    const ctrl = layout.encodeControl(opts.prompt);
    const ev = await evaluatePrompt(loaded.model, layout, ctrl, {
      batchSize: cfg.batchSize, maxNewTokens: generationBudget(layout, ctrl.length, cfg.maxNewTokens, loaded.model.config.maxPositions, prepared.task.file),
      answerTokens: cfg.evalAnswerTokens, joiner: cfg.reasoningJoiner, extractor: prepared.task.extractor,
    }, cancelCheck(signal), onProgress);
    // the exact text the model reads for the first example (template, chat markup and special tokens included)
    const firstInput = layout.samples.length ? loaded.model.decode(layout.promptIds(layout.samples[0], ctrl), { skipSpecialTokens: false }) : '';
    return { ev, task: prepared.task, firstInput };
  } finally {
    await loaded.model.dispose();
  }
}

/** Accuracy of one prompt on the held-out split (as a run would evaluate it), the train split, or all rows. */
export async function evaluateTaskPrompt(opts: OneShotOptions, split: SplitChoice, limit?: number, signal?: AbortSignal, onProgress?: (d: number, n: number) => void): Promise<PromptEvaluation> {
  const cfg = split === 'all' ? { ...opts.config, heldOutSize: 0, trainSize: 1 } : opts.config;
  const { ev } = await evaluateOn({ ...opts, config: cfg }, (p) => {
    const rows = split === 'train' ? p.train : split === 'heldout' ? p.heldOut : p.task.examples;
    return limit !== undefined ? rows.slice(0, limit) : rows;
  }, signal, onProgress);
  return ev;
}

export interface DryRun {
  evaluation: PromptEvaluation;
  check: ExtractorCheck;
  extractorId: string;
  extractorText: string;
  /** the model's whole input for the first sample, before its reasoning */
  modelInput: string;
}

/** The first `samples` training examples: reasoning + extractor + answer, checked like a run would read them. */
export async function extractorDryRun(opts: OneShotOptions, samples: number, signal?: AbortSignal): Promise<DryRun> {
  const cfg = { ...opts.config, heldOutSize: 0, trainSize: Math.max(1, Math.min(samples, opts.config.trainSize)) };
  const { ev, task, firstInput } = await evaluateOn({ ...opts, config: cfg }, (p) => p.train.slice(0, samples), signal);
  const check = checkExtractorMatches(ev.examples.map((e) => e.reasoning + e.tail), task.extractor);
  return { evaluation: ev, check, extractorId: task.extractor.id, extractorText: task.extractor.text, modelInput: firstInput };
}

/** A run's duration before it starts: the run's own measurement (measureRun) on its model, device and data. */
export async function estimateRunTime(opts: OneShotOptions, signal?: AbortSignal): Promise<RunEstimate> {
  const cfg = { ...opts.config, initialPrompt: opts.prompt };
  const { task, train, heldOut } = prepareTask(opts.task, cfg);
  const loaded = await loadModel({ model: opts.model, device: opts.device, quantize: opts.quantize, precision: opts.precision, skipMemoryCheck: opts.skipMemoryCheck, gradients: true });
  try {
    const layout = prepareLayout(loaded.model, task, train, cfg);
    const never = new AbortController().signal;
    const ctx = {
      model: loaded.model, layout, vocab: prepareVocabulary(loaded.model, cfg), config: cfg, file: task.file, persist: () => {},
      soft: never, hard: signal ?? never,
    };
    return await measureRun(ctx, initialState({ layout, config: cfg }), heldOut.length);
  } finally {
    await loaded.model.dispose();
  }
}
