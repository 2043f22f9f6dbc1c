// The worker's adapter over the optimizer: implements OptimizerService (./service.ts) with src/greater,
// mapping the RPC params onto runs, evaluations, dry runs and dataset previews. The event stream is the
// optimizer's, unchanged. The built-in demo is not known here: it is handed in as a BuiltinSource.
import * as path from 'node:path';
import type { DeviceChoice as EngineDeviceChoice } from '../engine';
import { BUILTIN_DEMO_MODEL, type DeviceChoice } from './protocol';
import type {
  DatasetPreviewParams, DatasetPreviewResult, DatasetRef, EvalPromptParams, EvalPromptResult, ExtractorCheckParams,
  ExtractorCheckResult, ExtractorSpec as RpcExtractor, PromptContext, RunEvent, RunStartParams, TaskSpec,
} from './protocol';
import type { OptimizerService, RunCancellation } from './service';
import { DEFAULT_CONFIG, makeConfig, type GreaterConfig } from '../greater/config';
import { templateFromContext } from '../greater/layout';
import { evaluateTaskPrompt, extractorDryRun } from '../greater/oneshot';
import { resumeRun, startRun } from '../greater/run';
import { taskOptions, type TaskOptions } from '../greater/setup';
import {
  ANSWER_FIELDS, QUESTION_FIELDS, choosePreset, loadDataset, presetExtractor, PRESET_NAMES, describeExtractor, type Dataset,
} from '../greater/tasks';

/** The wire's device list is the engine's: one concept, checked both ways at compile time. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const deviceChoicesAgree: Same<DeviceChoice, EngineDeviceChoice> = true;
void deviceChoicesAgree;

/**
 * Where the built-in model and task live (the demo registers itself as one). Called only when a request
 * names them, so a worker without the demo still serves everything else.
 */
export interface BuiltinSource {
  /** the model folder addressed as BUILTIN_DEMO_MODEL over RPC */
  modelDir(): string;
  /** the task file addressed as `{ builtin: BUILTIN_DEMO_TASK }` */
  taskFile(): string;
}

export function createOptimizerService(builtin: BuiltinSource): OptimizerService {
  const datasetPath = (d: DatasetRef): string => ('path' in d ? d.path : builtin.taskFile());
  const modelPath = (model: string): string => (model === BUILTIN_DEMO_MODEL ? builtin.modelDir() : model);
  return serviceOver(datasetPath, modelPath, (p: TaskSpec) => taskOptionsFrom(p, datasetPath(p.dataset)));
}

function taskOptionsFrom(p: TaskSpec, file: string): TaskOptions {
  const ex: RpcExtractor = p.extractor;
  return taskOptions(file, {
    questionField: p.questionField || undefined, answerField: p.answerField || undefined,
    extractor: 'preset' in ex ? { preset: ex.preset } : { text: ex.text },
  });
}

function template(ctx: PromptContext | undefined): string {
  return ctx ? templateFromContext(ctx.prefix, ctx.suffix, ctx.questionPlaceholder) : DEFAULT_CONFIG.promptTemplate;
}

function baseConfig(p: TaskSpec, extra: Partial<GreaterConfig>): GreaterConfig {
  return makeConfig({ seed: p.seed, ...extra }, 'run parameters');
}

function serviceOver(
  datasetPath: (d: DatasetRef) => string, modelPath: (model: string) => string, taskOptions: (p: TaskSpec) => TaskOptions,
): OptimizerService {
  return {
    startRun(p: RunStartParams, cancel: RunCancellation): AsyncIterable<RunEvent> {
      const config = baseConfig(p, { initialPrompt: p.initialPrompt, promptTemplate: template(p.context), steps: p.steps, topK: p.topK, topQ: p.topQ, trainSize: p.trainSize });
      return startRun({ model: modelPath(p.model), device: p.device, task: taskOptions(p), config, runsDir: path.resolve(p.runsDir) }, cancel);
    },
    resumeRun(runDir: string, cancel: RunCancellation): AsyncIterable<RunEvent> {
      return resumeRun(runDir, cancel);
    },
    async evaluatePrompt(p: EvalPromptParams, signal: AbortSignal): Promise<EvalPromptResult> {
      const config = baseConfig(p, { initialPrompt: p.prompt, promptTemplate: template(p.context), trainSize: p.trainSize, heldOutSize: 1_000_000 });
      const ev = await evaluateTaskPrompt({ model: modelPath(p.model), device: p.device, task: taskOptions(p), prompt: p.prompt, config }, p.split, p.limit, signal);
      return { correct: ev.correct, total: ev.total, accuracy: ev.accuracy };
    },
    async checkExtractor(p: ExtractorCheckParams, signal: AbortSignal): Promise<ExtractorCheckResult> {
      const config = baseConfig(p, { initialPrompt: p.prompt, promptTemplate: template(p.context), trainSize: p.samples, maxNewTokens: 512 });
      const r = await extractorDryRun({ model: modelPath(p.model), device: p.device, task: taskOptions(p), prompt: p.prompt, config }, p.samples, signal);
      return {
        samples: r.evaluation.examples.map((e) => ({ question: e.question, gold: e.gold, reasoning: e.reasoning, extracted: e.answer, correct: e.correct })),
      };
    },
    async previewDataset(p: DatasetPreviewParams): Promise<DatasetPreviewResult> {
      const file = datasetPath(p.dataset);
      const ds: Dataset = loadDataset(file, { questionField: p.questionField, answerField: p.answerField });
      const isBbh = ds.format === 'json' && ds.columns.includes('goal');
      const presets = PRESET_NAMES.flatMap((name) => {
        try {
          const ex = presetExtractor(name, ds);
          return [{ name, description: describeExtractor(ex), text: ex.text }];
        } catch {
          return []; // a preset that cannot describe this data (e.g. MCQ letters on numbers) is not offered
        }
      });
      return {
        format: isBbh ? 'bbh' : ds.format === 'tsv' ? 'csv' : ds.format,
        columns: ds.columns,
        rows: ds.examples.slice(0, p.rows).map((e) => ({ [ds.questionField]: e.question, [ds.answerField]: e.label })),
        total: ds.examples.length,
        suggested: {
          questionField: ds.columns.find((c) => QUESTION_FIELDS.includes(c.trim().toLowerCase())),
          answerField: ds.columns.find((c) => ANSWER_FIELDS.includes(c.trim().toLowerCase())),
        },
        extractorPresets: presets,
        defaultPreset: choosePreset(ds),
      };
    },
  };
}
