// The worker's adapter over the optimizer: implements OptimizerService (./service.ts) with src/greater,
// mapping the RPC params onto runs, evaluations, dry runs and dataset previews. The event stream is the
// optimizer's, unchanged. The built-in demo is not known here: it is handed in as a BuiltinSource.
import * as path from 'node:path';
import { checkFormats, type DeviceChoice as EngineDeviceChoice, type PrecisionChoice as EnginePrecision, type QuantizeChoice as EngineQuantize } from '../engine';
import { BUDGETS } from '../greater/budgets';
import { BUDGET_PRESETS, BUILTIN_DEMO_MODEL, EVAL_API_KEY_ENV, type DeviceChoice, type PrecisionChoice, type QuantizeChoice } from './protocol';
import type {
  DatasetPreviewParams, DatasetPreviewResult, DatasetRef, EngineCheckParams, EngineCheckResult, EvalPromptParams, EvalPromptResult, ExtractorCheckParams,
  ExtractorCheckResult, ExtractorSpec as RpcExtractor, PromptContext, RunEstimateParams, RunEstimateResult, RunEvent, RunStartParams, TaskSpec,
} from './protocol';
import type { OptimizerService, RunCancellation } from './service';
import { DEFAULT_CONFIG, makeConfig, type GreaterConfig } from '../greater/config';
import { templateFromContext } from '../greater/layout';
import { describeEstimate } from '../greater/estimate';
import { estimateRunTime, evaluateTaskPrompt, extractorDryRun } from '../greater/oneshot';
import { resumeRun, startRun } from '../greater/run';
import { EVAL_API_KEY_ENV as RUN_EVAL_API_KEY_ENV } from '../greater/endpoint';
import { taskOptions, type TaskOptions } from '../greater/setup';
import {
  ANSWER_FIELDS, QUESTION_FIELDS, choosePreset, loadDataset, presetExtractor, PRESET_NAMES, describeExtractor, readDatasetTable,
  type AnswerKind, type Dataset, type DatasetTable,
} from '../greater/tasks';

/** The endpoint's API key: only ever from the environment the extension forked this worker with. */
function endpointKey(): string | undefined {
  return process.env[EVAL_API_KEY_ENV] || undefined;
}
const keyEnvAgrees: Same<typeof EVAL_API_KEY_ENV, typeof RUN_EVAL_API_KEY_ENV> = true;
void keyEnvAgrees;

/** The wire's device list is the engine's: one concept, checked both ways at compile time. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const deviceChoicesAgree: Same<DeviceChoice, EngineDeviceChoice> = true;
// so are the quantization and precision choices, and the budget presets the panel fills its sizes from
const formatChoicesAgree: [Same<QuantizeChoice, EngineQuantize>, Same<PrecisionChoice, EnginePrecision>] = [true, true];
const budgetsAgree: Same<typeof BUDGET_PRESETS, typeof BUDGETS> = true;
void deviceChoicesAgree, formatChoicesAgree, budgetsAgree;

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

/** A run's config: the budget preset's sizes first, then the sizes the form gives (as the CLI's --budget). */
function runConfig(p: RunEstimateParams): GreaterConfig {
  return baseConfig(p, {
    ...(p.budget ? BUDGETS[p.budget] : {}),
    initialPrompt: p.initialPrompt, promptTemplate: template(p.context), steps: p.steps, topK: p.topK, topQ: p.topQ, trainSize: p.trainSize,
    ...(p.heldOutSize !== undefined ? { heldOutSize: p.heldOutSize } : {}), ...(p.maxNewTokens !== undefined ? { maxNewTokens: p.maxNewTokens } : {}),
  });
}

/** The model load's formats as the request gives them. */
function formats(p: TaskSpec): { quantize?: QuantizeChoice; precision?: PrecisionChoice } {
  return { ...(p.quantize ? { quantize: p.quantize } : {}), ...(p.precision ? { precision: p.precision } : {}) };
}

/**
 * A file whose question/answer columns cannot be told (or were mapped onto the same column) still gets a preview:
 * all its columns and first rows, for the panel's column mapper. Any other load error is rethrown by the caller.
 */
function columnMapping(file: string, p: DatasetPreviewParams, e: unknown): DatasetPreviewResult | undefined {
  const msg = (e as Error)?.message ?? '';
  if (!/cannot tell which column|no column '|would both come from column/.test(msg)) return undefined;
  let table: DatasetTable;
  try {
    table = readDatasetTable(file, p.rows);
  } catch {
    return undefined;
  }
  const pick = (names: string[]) => table.columns.find((c) => names.includes(c.trim().toLowerCase()));
  const same = p.questionField && p.questionField === p.answerField;
  return {
    format: table.format === 'tsv' ? 'csv' : table.format, columns: table.columns, rows: table.head, total: table.total,
    suggested: { questionField: pick(QUESTION_FIELDS), answerField: pick(ANSWER_FIELDS) },
    extractorPresets: [],
    needsMapping: same
      ? `The question and the answer cannot both come from column '${p.questionField}': choose two different columns.`
      : `Choose which column holds the question and which holds the answer (this file has ${table.columns.join(', ')}).`,
  };
}

/** An answer kind in the words a user picks it by. */
export function answerShapeName(kind: AnswerKind): string {
  switch (kind.type) {
    case 'mcq': return kind.letters.length > 1 ? `multiple choice (${kind.letters[0]})–(${kind.letters[kind.letters.length - 1]})` : `multiple choice (${kind.letters[0]})`;
    case 'binary': return `${kind.choices[0]}/${kind.choices[1]}`.toLowerCase();
    case 'integer': return kind.signed ? 'number' : 'number (0 or more)';
    case 'text': return 'free text';
  }
}

function serviceOver(
  datasetPath: (d: DatasetRef) => string, modelPath: (model: string) => string, taskOptions: (p: TaskSpec) => TaskOptions,
): OptimizerService {
  return {
    startRun(p: RunStartParams, cancel: RunCancellation): AsyncIterable<RunEvent> {
      const t = p.transfer;
      const transfer = !t ? {} : t.kind === 'model' ? { evalModel: modelPath(t.model) } : { evalEndpoint: { baseUrl: t.baseUrl, model: t.model, apiKey: endpointKey() } };
      return startRun({ model: modelPath(p.model), device: p.device, ...formats(p), task: taskOptions(p), config: runConfig(p), runsDir: path.resolve(p.runsDir), ...transfer }, cancel);
    },
    resumeRun(runDir: string, cancel: RunCancellation): AsyncIterable<RunEvent> {
      return resumeRun(runDir, cancel, { evalApiKey: endpointKey() });
    },
    async estimateRun(p: RunEstimateParams, signal: AbortSignal): Promise<RunEstimateResult> {
      const config = runConfig(p);
      const e = await estimateRunTime({ model: modelPath(p.model), device: p.device, ...formats(p), task: taskOptions(p), prompt: p.initialPrompt, config }, signal);
      return {
        totalSeconds: e.totalSeconds, stepSeconds: e.stepSeconds, startSeconds: e.startSeconds, evaluationSeconds: e.evaluationSeconds,
        probeSeconds: e.costs.probeSeconds, summary: describeEstimate(e, config.steps),
      };
    },
    async evaluatePrompt(p: EvalPromptParams, signal: AbortSignal): Promise<EvalPromptResult> {
      // evaluating every row splits nothing: the training size is not used (0 allowed)
      const config = baseConfig(p, { initialPrompt: p.prompt, promptTemplate: template(p.context), trainSize: p.split === 'all' ? 1 : p.trainSize, heldOutSize: 1_000_000 });
      const ev = await evaluateTaskPrompt({ model: modelPath(p.model), device: p.device, ...formats(p), task: taskOptions(p), prompt: p.prompt, config }, p.split, p.limit, signal);
      return { correct: ev.correct, total: ev.total, accuracy: ev.accuracy };
    },
    async checkExtractor(p: ExtractorCheckParams, signal: AbortSignal): Promise<ExtractorCheckResult> {
      const config = baseConfig(p, { initialPrompt: p.prompt, promptTemplate: template(p.context), trainSize: p.samples, maxNewTokens: 512 });
      const r = await extractorDryRun({ model: modelPath(p.model), device: p.device, ...formats(p), task: taskOptions(p), prompt: p.prompt, config }, p.samples, signal);
      return {
        samples: r.evaluation.examples.map((e) => ({ question: e.question, gold: e.gold, reasoning: e.reasoning, extracted: e.answer, correct: e.correct })),
        modelInput: r.modelInput,
      };
    },
    async checkEngine(p: EngineCheckParams): Promise<EngineCheckResult> {
      const r = await checkFormats(p.device, p.quantize, p.precision);
      return { ...(r.device ? { resolvedDevice: r.device } : {}), refusals: r.refusals };
    },
    async previewDataset(p: DatasetPreviewParams): Promise<DatasetPreviewResult> {
      const file = datasetPath(p.dataset);
      let ds: Dataset;
      try {
        ds = loadDataset(file, { questionField: p.questionField, answerField: p.answerField });
      } catch (e) {
        const unmapped = columnMapping(file, p, e);
        if (unmapped) return unmapped;
        throw e;
      }
      const isBbh = ds.format === 'json' && ds.columns.includes('goal');
      const defaultPreset = choosePreset(ds);
      // the default first, then 'auto', then the rest: of presets with the same text only the first is offered
      const order = [defaultPreset, 'auto', ...PRESET_NAMES.filter((n) => n !== defaultPreset && n !== 'auto')];
      const seen = new Set<string>();
      const presets = order.flatMap((name) => {
        let ex;
        try {
          ex = presetExtractor(name, ds);
        } catch {
          return []; // a preset that cannot describe this data (e.g. MCQ letters on numbers) is not offered
        }
        if (seen.has(ex.text)) return [];
        seen.add(ex.text);
        const shape = answerShapeName(ex.kind);
        const label = name === 'auto' ? `${shape} (detected)` : name === defaultPreset ? `${shape} (${name})` : shape;
        return [{ name, label, description: describeExtractor(ex), text: ex.text }];
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
        defaultPreset,
      };
    },
  };
}
