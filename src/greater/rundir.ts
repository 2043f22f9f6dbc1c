// The run directory (ARCHITECTURE "Run directory"): run.json (what defines the run), events.jsonl
// (append-only), checkpoint.json (full state, atomic), best.json (global top-k, atomic), report.json /
// report.md (held-out before/after). File names live in one table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, parsePrecision, parseQuantize, type PrecisionChoice, type QuantizeChoice } from '../engine';
import { RUN_FILES, type RunEvent } from './events';
import { makeConfig, type GreaterConfig } from './config';
import { appendLine, fileError, leftoverTemps, writeJsonAtomic } from './atomic';
import { isAlive } from './lock';
import type { ExtractorSpec } from './tasks';

export { writeFileAtomic as writeTextAtomic, writeJsonAtomic } from './atomic';

export { RUN_FILES };

export const RUN_SCHEMA_VERSION = 1;

export interface RunMeta {
  schemaVersion: number;
  runId: string;
  createdAt: string;
  config: GreaterConfig;
  model: { id: string; dir: string; revision?: string };
  device: string;
  /** Weight-only quantization of generation (absent: none; runs from before the flag). */
  quantize?: QuantizeChoice;
  /** Float width of the graphs (absent: fp32). */
  precision?: PrecisionChoice;
  evalModel?: string;
  /** transfer target: an OpenAI-compatible endpoint (its API key is never written here) */
  evalEndpoint?: { baseUrl: string; model: string };
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

/**
 * Creates the run folder with its run.json in one step (built beside it, then renamed into place), so a kill
 * leaves either no folder or a folder --resume accepts. An existing folder must be empty: --out never
 * overwrites another run's files or anything else.
 */
export function createRunDir(dir: string, meta: RunMeta): void {
  if (fs.existsSync(path.join(dir, RUN_FILES.run))) {
    throw new UserError(`${dir}: already holds a run (${RUN_FILES.run}); continue it with --resume ${dir} or choose another --out`);
  }
  if (fs.existsSync(dir)) {
    const entries = fs.statSync(dir).isDirectory() ? fs.readdirSync(dir) : null;
    if (entries === null) throw new UserError(`${dir}: is a file, not a folder; choose another --out`);
    if (entries.length > 0) throw new UserError(`${dir}: the folder is not empty and holds no run (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose a new or empty folder for --out`);
    writeJsonAtomic(path.join(dir, RUN_FILES.run), meta);
    return;
  }
  // A folder half-built by a killed process is removed (its process is gone), then this one is built.
  const parent = path.dirname(dir);
  const halfBuilt = new RegExp(`^${path.basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)$`);
  for (const n of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    const m = halfBuilt.exec(n);
    if (m && !isAlive(Number(m[1]))) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  }
  const building = `${dir}.tmp-${process.pid}`;
  try {
    fs.mkdirSync(building, { recursive: true });
    writeJsonAtomic(path.join(building, RUN_FILES.run), meta);
    fs.renameSync(building, dir);
  } catch (e) {
    fs.rmSync(building, { recursive: true, force: true });
    throw fileError(e, dir, 'create the run folder');
  }
}

/**
 * Before a resume: temp files of a killed write are removed, and an events line torn by a kill is cut off so the
 * next event starts on a line of its own.
 */
export function repairRunDir(dir: string): void {
  for (const f of leftoverTemps(dir)) fs.rmSync(f, { force: true });
  const events = path.join(dir, RUN_FILES.events);
  if (!fs.existsSync(events)) return;
  const buf = fs.readFileSync(events);
  const end = buf.lastIndexOf(0x0a) + 1;
  if (end < buf.length) fs.truncateSync(events, end);
}

export function readRunMeta(dir: string): RunMeta {
  const file = path.join(dir, RUN_FILES.run);
  const raw = readJson(file, 'run description') as RunMeta;
  if (raw.schemaVersion !== RUN_SCHEMA_VERSION) throw new UserError(`${file}: run schema version ${String(raw.schemaVersion)} is not supported (expected ${RUN_SCHEMA_VERSION})`);
  raw.config = makeConfig(raw.config as unknown as Record<string, unknown>, file);
  try {
    if (raw.quantize !== undefined) raw.quantize = parseQuantize(String(raw.quantize));
    if (raw.precision !== undefined) raw.precision = parsePrecision(String(raw.precision));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  return raw;
}

/** Appends one event per line. A line torn by a kill is tolerated by readers (they skip unparsable lines). */
export function appendEvent(dir: string, e: RunEvent): void {
  appendLine(path.join(dir, RUN_FILES.events), JSON.stringify(e), dir);
}

export function newRunId(taskName: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${taskName.replace(/[^\w.-]+/g, '_')}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0')}`;
}
