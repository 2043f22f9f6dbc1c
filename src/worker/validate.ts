// Checks RPC params at the worker's boundary: whatever arrives over IPC is `unknown` until it passes here.
// A failure names the method, the field, what was expected and what was received.
import { isAbsolute, normalize } from 'node:path';
import {
  BUDGET_NAMES, DEVICE_CHOICES, PRECISION_CHOICES, QUANTIZE_CHOICES, type EngineCheckParams, type PrecisionChoice, type QuantizeChoice, type DatasetPreviewParams, type DatasetRef, type DeviceChoice, type EvalPromptParams, type ExtractorCheckParams,
  type ExtractorSpec, type PromptContext, type RunCancelParams, type RunEstimateParams, type RunResumeParams, type RunStartParams, type TaskSpec, type TransferTarget,
} from './protocol';

export class ParamError extends Error {
  constructor(method: string, field: string, expected: string, got: unknown) {
    super(`${method}: '${field}' must be ${expected}, got ${describe(got)}`);
    this.name = 'ParamError';
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

type Obj = Record<string, unknown>;

/** Field readers bound to one method name so every error message carries it. */
class Reader {
  constructor(readonly method: string) {}
  obj(v: unknown, field = 'params'): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ParamError(this.method, field, 'an object', v);
    return v as Obj;
  }
  str(o: Obj, field: string, opts: { nonEmpty?: boolean } = {}): string {
    const v = o[field];
    if (typeof v !== 'string' || (opts.nonEmpty && v.trim() === '')) {
      throw new ParamError(this.method, field, opts.nonEmpty ? 'a non-empty string' : 'a string', v);
    }
    return v;
  }
  /** A file-system path: absolute and normalised, so nothing is resolved against the worker's cwd or climbs with "..". */
  absPath(o: Obj, field: string): string {
    const v = this.str(o, field, { nonEmpty: true });
    const bare = v.length > 1 ? v.replace(/[\\/]+$/, '') : v; // a trailing separator is harmless
    if (!isAbsolute(v) || normalize(bare) !== bare || v.includes('\0')) {
      throw new ParamError(this.method, field, 'an absolute, normalised path', v);
    }
    return v;
  }
  optStr(o: Obj, field: string): string | undefined {
    return o[field] === undefined || o[field] === '' ? undefined : this.str(o, field);
  }
  int(o: Obj, field: string, min: number, max: number): number {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ParamError(this.method, field, `an integer in [${min}, ${max}]`, v);
    }
    return v;
  }
  oneOf<T extends string>(o: Obj, field: string, allowed: readonly T[]): T {
    const v = o[field];
    if (typeof v !== 'string' || !allowed.includes(v as T)) throw new ParamError(this.method, field, `one of ${allowed.join(', ')}`, v);
    return v as T;
  }
  optOneOf<T extends string>(o: Obj, field: string, allowed: readonly T[]): T | undefined {
    return o[field] === undefined ? undefined : this.oneOf(o, field, allowed);
  }
  optInt(o: Obj, field: string, min: number, max: number): number | undefined {
    return o[field] === undefined ? undefined : this.int(o, field, min, max);
  }
  dataset(o: Obj): DatasetRef {
    const d = this.obj(o.dataset, 'dataset');
    if (d.builtin === 'demo') return { builtin: 'demo' };
    if (typeof d.path === 'string' && d.path.trim() !== '') return { path: this.absPath(d, 'path') };
    throw new ParamError(this.method, 'dataset', "{ path: string } or { builtin: 'demo' }", d);
  }
  extractor(o: Obj): ExtractorSpec {
    const e = this.obj(o.extractor, 'extractor');
    if (typeof e.preset === 'string' && e.preset !== '') return { preset: e.preset };
    if (typeof e.text === 'string' && e.text.trim() !== '') return { text: e.text };
    throw new ParamError(this.method, 'extractor', '{ preset: string } or { text: string }', e);
  }
  context(o: Obj): PromptContext | undefined {
    if (o.context === undefined) return undefined;
    const c = this.obj(o.context, 'context');
    const prefix = c.prefix ?? '', suffix = c.suffix ?? '';
    if (typeof prefix !== 'string') throw new ParamError(this.method, 'context.prefix', 'a string', prefix);
    if (typeof suffix !== 'string') throw new ParamError(this.method, 'context.suffix', 'a string', suffix);
    const q = c.questionPlaceholder;
    if (q !== undefined && typeof q !== 'string') throw new ParamError(this.method, 'context.questionPlaceholder', 'a string', q);
    return q ? { prefix, suffix, questionPlaceholder: q } : { prefix, suffix };
  }
  task(o: Obj): TaskSpec {
    return {
      model: this.str(o, 'model', { nonEmpty: true }),
      device: this.oneOf<DeviceChoice>(o, 'device', DEVICE_CHOICES),
      dataset: this.dataset(o),
      questionField: this.optStr(o, 'questionField'),
      answerField: this.optStr(o, 'answerField'),
      extractor: this.extractor(o),
      seed: this.int(o, 'seed', 0, 2 ** 31 - 1),
      ...this.formats(o),
    };
  }
  /** quantize / precision, only when given (absent = the engine's defaults) */
  formats(o: Obj): { quantize?: QuantizeChoice; precision?: PrecisionChoice } {
    const quantize = this.optOneOf<QuantizeChoice>(o, 'quantize', QUANTIZE_CHOICES);
    const precision = this.optOneOf<PrecisionChoice>(o, 'precision', PRECISION_CHOICES);
    return { ...(quantize ? { quantize } : {}), ...(precision ? { precision } : {}) };
  }
}

/** What run/start and run/estimate share: the task, the prompt and the budget. */
function runShape(r: Reader, o: Obj): RunEstimateParams {
  return {
    ...r.task(o),
    initialPrompt: r.str(o, 'initialPrompt'),
    context: r.context(o),
    steps: r.int(o, 'steps', 1, 100000),
    topK: r.int(o, 'topK', 1, 100000),
    topQ: r.int(o, 'topQ', 1, 100000),
    trainSize: r.int(o, 'trainSize', 1, 1000000),
    ...optional({ budget: r.optOneOf(o, 'budget', BUDGET_NAMES), heldOutSize: r.optInt(o, 'heldOutSize', 0, 1000000), maxNewTokens: r.optInt(o, 'maxNewTokens', 1, 100000) }),
  };
}

/** Drops the keys whose value is undefined (absent params stay absent). */
function optional<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function engineCheckParams(v: unknown): EngineCheckParams {
  const r = new Reader('engine/check'), o = r.obj(v);
  return {
    device: r.oneOf<DeviceChoice>(o, 'device', DEVICE_CHOICES),
    quantize: r.oneOf<QuantizeChoice>(o, 'quantize', QUANTIZE_CHOICES),
    precision: r.oneOf<PrecisionChoice>(o, 'precision', PRECISION_CHOICES),
  };
}

function transferTarget(r: Reader, o: Obj): TransferTarget | undefined {
  if (o.transfer === undefined) return undefined;
  const t = r.obj(o.transfer, 'transfer');
  if (t.kind === 'model') return { kind: 'model', model: r.str(t, 'model', { nonEmpty: true }) };
  if (t.kind === 'endpoint') return { kind: 'endpoint', baseUrl: r.str(t, 'baseUrl', { nonEmpty: true }), model: r.str(t, 'model', { nonEmpty: true }) };
  throw new ParamError(r.method, 'transfer.kind', "'model' or 'endpoint'", t.kind);
}

export function runStartParams(v: unknown): RunStartParams {
  const r = new Reader('run/start'), o = r.obj(v);
  const transfer = transferTarget(r, o);
  return { ...runShape(r, o), runsDir: r.absPath(o, 'runsDir'), ...(transfer ? { transfer } : {}) };
}

export function runEstimateParams(v: unknown): RunEstimateParams {
  const r = new Reader('run/estimate'), o = r.obj(v);
  return runShape(r, o);
}

export function runCancelParams(v: unknown): RunCancelParams {
  const r = new Reader('run/cancel'), o = r.obj(v);
  return { runId: r.str(o, 'runId', { nonEmpty: true }), mode: r.oneOf(o, 'mode', ['soft', 'hard'] as const) };
}

export function runResumeParams(v: unknown): RunResumeParams {
  const r = new Reader('run/resume'), o = r.obj(v);
  return { runDir: r.absPath(o, 'runDir') };
}

export function evalPromptParams(v: unknown): EvalPromptParams {
  const r = new Reader('eval/prompt'), o = r.obj(v);
  return {
    ...r.task(o),
    prompt: r.str(o, 'prompt'),
    context: r.context(o),
    split: r.oneOf(o, 'split', ['heldout', 'train', 'all'] as const),
    trainSize: r.int(o, 'trainSize', 0, 1000000),
    limit: o.limit === undefined ? undefined : r.int(o, 'limit', 1, 1000000),
  };
}

export function extractorCheckParams(v: unknown): ExtractorCheckParams {
  const r = new Reader('extractor/check'), o = r.obj(v);
  return { ...r.task(o), prompt: r.str(o, 'prompt'), context: r.context(o), samples: r.int(o, 'samples', 1, 100) };
}

export function datasetPreviewParams(v: unknown): DatasetPreviewParams {
  const r = new Reader('dataset/preview'), o = r.obj(v);
  return {
    dataset: r.dataset(o),
    questionField: r.optStr(o, 'questionField'),
    answerField: r.optStr(o, 'answerField'),
    rows: r.int(o, 'rows', 1, 1000),
  };
}
