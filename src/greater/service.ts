// The worker's OptimizerService (src/worker/service.ts) over src/greater: maps the RPC params onto runs,
// evaluations, dry runs and dataset previews. The event stream is the optimizer's, unchanged.
import * as path from 'node:path';
import { builtinDemo } from '../demo/builtin';
import { BUILTIN_DEMO_MODEL } from '../worker/protocol';
import type {
  DatasetPreviewParams, DatasetPreviewResult, DatasetRef, EvalPromptParams, EvalPromptResult, ExtractorCheckParams,
  ExtractorCheckResult, ExtractorSpec as RpcExtractor, PromptContext, RunEvent, RunStartParams, TaskSpec,
} from '../worker/protocol';
import type { OptimizerService, RunCancellation } from '../worker/service';
import { DEFAULT_CONFIG, makeConfig, type GreaterConfig } from './config';
import { templateFromContext } from './layout';
import { evaluateTaskPrompt, extractorDryRun } from './oneshot';
import { resumeRun, startRun } from './run';
import type { TaskOptions } from './setup';
import {
  ANSWER_FIELDS, QUESTION_FIELDS, choosePreset, loadDataset, presetExtractor, PRESET_NAMES, describeExtractor, type Dataset,
} from './tasks';

function datasetPath(d: DatasetRef): string {
  return 'path' in d ? d.path : builtinDemo().taskFile;
}

/** The built-in demo model is addressed as BUILTIN_DEMO_MODEL over RPC. */
function modelPath(model: string): string {
  return model === BUILTIN_DEMO_MODEL ? builtinDemo().modelDir : model;
}

function taskOptions(p: TaskSpec): TaskOptions {
  const ex: RpcExtractor = p.extractor;
  return {
    file: datasetPath(p.dataset),
    ...(p.questionField ? { questionField: p.questionField } : {}),
    ...(p.answerField ? { answerField: p.answerField } : {}),
    extractor: 'preset' in ex ? { preset: ex.preset } : { text: ex.text },
  };
}

function template(ctx: PromptContext | undefined): string {
  return ctx ? templateFromContext(ctx.prefix, ctx.suffix, ctx.questionPlaceholder) : DEFAULT_CONFIG.promptTemplate;
}

function baseConfig(p: TaskSpec, extra: Partial<GreaterConfig>): GreaterConfig {
  return makeConfig({ seed: p.seed, ...extra }, 'run parameters');
}

export function createOptimizerService(): OptimizerService {
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
