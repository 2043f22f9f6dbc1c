// The run directory (ARCHITECTURE "Run directory"): run.json (what defines the run), events.jsonl
// (append-only), checkpoint.json (full state, atomic), best.json (global top-k, atomic), report.json /
// report.md (held-out before/after). File names live in one table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../engine/errors';
import type { RunEvent } from '../worker/protocol';
import { makeConfig, type GreaterConfig } from './config';
import type { ExtractorSpec } from './tasks';

export const RUN_FILES = {
  run: 'run.json',
  events: 'events.jsonl',
  checkpoint: 'checkpoint.json',
  best: 'best.json',
  report: 'report.json',
  reportMd: 'report.md',
} as const;

export const RUN_SCHEMA_VERSION = 1;

export interface RunMeta {
  schemaVersion: number;
  runId: string;
  createdAt: string;
  config: GreaterConfig;
  model: { id: string; dir: string; revision?: string };
  device: string;
  evalModel?: string;
  task: {
    file: string;
    sha256: string;
    questionField?: string;
    answerField?: string;
    extractor: ExtractorSpec;
    extractorId: string;
    extractorText: string;
  };
  /** Dataset indices of the split (the split is part of what defines the run). */
  train: number[];
  heldOut: number[];
}

/** Writes JSON through a temp file + rename, so readers see the old or the new file, never a torn one. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(value, null, 1) + '\n');
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeTextAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file}: cannot read the ${what} (is this a greater run folder?)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: the ${what} is not valid JSON (${(e as Error).message})`);
  }
}

export function createRunDir(dir: string, meta: RunMeta): void {
  if (fs.existsSync(path.join(dir, RUN_FILES.run))) {
    throw new UserError(`${dir}: already holds a run (${RUN_FILES.run}); continue it with --resume ${dir} or choose another --out`);
  }
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, RUN_FILES.run), meta);
}

export function readRunMeta(dir: string): RunMeta {
  const file = path.join(dir, RUN_FILES.run);
  const raw = readJson(file, 'run description') as RunMeta;
  if (raw.schemaVersion !== RUN_SCHEMA_VERSION) throw new UserError(`${file}: run schema version ${String(raw.schemaVersion)} is not supported (expected ${RUN_SCHEMA_VERSION})`);
  raw.config = makeConfig(raw.config as unknown as Record<string, unknown>, file);
  return raw;
}

/** Appends one event per line. A line torn by a kill is tolerated by readers (they skip unparsable lines). */
export function appendEvent(dir: string, e: RunEvent): void {
  fs.appendFileSync(path.join(dir, RUN_FILES.events), JSON.stringify(e) + '\n');
}

export function newRunId(taskName: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${taskName.replace(/[^\w.-]+/g, '_')}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}
