// Writes a model's weights once into one external-data file (each tensor 4096-byte aligned, as
// onnxruntime prefers) beside the session graphs that reference it, so sessions load the weights once
// instead of receiving them as inputs on every run. Matrices can be stored transposed (see
// model/layers.ts, productWeight).
// Two homes: a folder private to this process, removed on dispose or exit (its name carries the pid, so the folder
// of a process that died without exiting — kill -9, a crash, out of memory: a model's size each time — is removed by
// the next process that writes one); or an entry of the weights cache (runtime/weights-cache.ts), kept between runs
// so the next run of the same model neither reads all its weights nor writes them again. Graphs are written next to
// the weights (external data resolves relative to the graph), named with the pid in a cache entry.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FloatArray } from '../model/rope';
import { ResidentWeights } from '../model/layers';

const ALIGN = 4096;
const FILE = 'weights.bin';
const PREFIX = 'greater-weights-';

/** As greater/lock.ts's isAlive (the engine imports nothing from the layers above it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** When the folder or a file in it last changed (a session opens the files within seconds of their writing). */
function lastChange(dir: string): number {
  let t = fs.statSync(dir).mtimeMs;
  for (const f of fs.readdirSync(dir)) t = Math.max(t, fs.statSync(path.join(dir, f)).mtimeMs);
  return t;
}

/**
 * Removes the weights folders of processes that are gone; returns their names. Only folders left alone for
 * `quietMs`: a pid means nothing to a process in another pid namespace sharing this temp folder, but by then
 * any session reading the files has them open, and an open file outlives its name.
 */
export function sweepOrphans(root: string = os.tmpdir(), quietMs = 60_000): string[] {
  const swept: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return swept;
  }
  const owned = new RegExp(`^${PREFIX}(\\d+)-`);
  for (const name of names) {
    const m = owned.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      if (Date.now() - lastChange(path.join(root, name)) < quietMs) continue;
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
      swept.push(name);
    } catch {
      // another process's, or already going: not ours to insist on
    }
  }
  return swept;
}

export interface StoredWeight {
  data: FloatArray | Uint16Array;
  /** [rows, cols] of a matrix to store as its transpose [cols, rows]. */
  transpose?: readonly [number, number];
}

type Elements = FloatArray | Uint16Array;

/** The [cols, rows] transpose of a row-major [rows, cols] matrix, in 64 × 64 tiles (cache-friendly). */
export function transposed<T extends Elements>(a: T, rows: number, cols: number): T {
  if (a.length !== rows * cols) throw new Error(`internal: transposing ${a.length} elements as [${rows}, ${cols}]`);
  const out = new (a.constructor as new (n: number) => T)(a.length);
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = a[r * cols + c];
    }
  }
  return out;
}

/** Writes `weights` into `file`, each tensor aligned; returns where each one went. */
function writeWeightsFile(file: string, weights: ReadonlyMap<string, StoredWeight>): Map<string, { location: string; offset: number; length: number }> {
  const map = new Map<string, { location: string; offset: number; length: number }>();
  const fd = fs.openSync(file, 'w');
  try {
    let offset = 0;
    for (const [name, w] of weights) {
      offset = Math.ceil(offset / ALIGN) * ALIGN;
      const data = w.transpose ? transposed(w.data, w.transpose[0], w.transpose[1]) : w.data;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(0x40000000, bytes.length - done), offset + done);
      map.set(name, { location: path.basename(file), offset, length: bytes.length });
      offset += bytes.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return map;
}

const MANIFEST = 'manifest.json';
const MANIFEST_VERSION = 1;

export class ResidentWeightsDir {
  readonly map: ResidentWeights;
  private removed = false;
  private readonly onExit = () => this.remove();
  private readonly graphs: string[] = [];

  /** `shared`: a cache entry other processes may use; only this process's graphs go on remove. */
  private constructor(readonly dir: string, map: ResidentWeights, readonly shared: boolean) {
    this.map = map;
    process.once('exit', this.onExit);
  }

  /** A private folder for this process. Float16 weights come as their bit patterns (Uint16Array). */
  static write(weights: ReadonlyMap<string, StoredWeight>): ResidentWeightsDir {
    sweepOrphans();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
    return new ResidentWeightsDir(dir, writeWeightsFile(path.join(dir, FILE), weights), false);
  }

  /** The complete cache entry in `dir`, or null (absent, or damaged: then it is removed for a rewrite). */
  static openEntry(dir: string): ResidentWeightsDir | null {
    let manifest: { version?: unknown; bytes?: unknown; weights?: Record<string, { offset: number; length: number }> };
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
    } catch {
      if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
      return null;
    }
    let size = -1;
    try { size = fs.statSync(path.join(dir, FILE)).size; } catch { /* missing: damaged */ }
    if (manifest.version !== MANIFEST_VERSION || manifest.bytes !== size || typeof manifest.weights !== 'object' || manifest.weights === null) {
      fs.rmSync(dir, { recursive: true, force: true });
      return null;
    }
    const now = new Date();
    fs.utimesSync(dir, now, now); // last use, for eviction
    sweepGraphs(dir);
    const map = new Map(Object.entries(manifest.weights).map(([name, w]) => [name, { location: FILE, offset: w.offset, length: w.length }]));
    return new ResidentWeightsDir(dir, map, true);
  }

  /**
   * Writes a cache entry at `dir` (beside it first, then renamed into place, so a reader never sees half an
   * entry); when another process finished the same entry first, theirs is used.
   */
  static writeEntry(dir: string, weights: ReadonlyMap<string, StoredWeight>, sources: readonly string[]): ResidentWeightsDir {
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    fs.mkdirSync(partial, { recursive: true });
    try {
      const map = writeWeightsFile(path.join(partial, FILE), weights);
      const bytes = fs.statSync(path.join(partial, FILE)).size;
      const listed = Object.fromEntries([...map].map(([name, w]) => [name, { offset: w.offset, length: w.length }]));
      fs.writeFileSync(path.join(partial, MANIFEST), JSON.stringify({ version: MANIFEST_VERSION, bytes, sources, weights: listed }));
      try {
        fs.renameSync(partial, dir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw e;
      }
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
    const entry = ResidentWeightsDir.openEntry(dir);
    if (!entry) throw new Error(`internal: the weights cache entry ${dir} was not readable right after it was written`);
    return entry;
  }

  /** Writes a graph next to the weights and returns its path (external data resolves relative to it). */
  writeModel(name: string, model: Uint8Array): string {
    const p = path.join(this.dir, this.shared ? `${process.pid}-${name}.onnx` : `${name}.onnx`);
    fs.writeFileSync(p, model);
    this.graphs.push(p);
    return p;
  }

  remove(): void {
    if (this.removed) return;
    this.removed = true;
    process.removeListener('exit', this.onExit);
    if (!this.shared) fs.rmSync(this.dir, { recursive: true, force: true });
    else for (const g of this.graphs) fs.rmSync(g, { force: true });
  }
}

/** A graph in a cache entry, named with the pid of the process using it. */
const ENTRY_GRAPH = /^(\d+)-.*\.onnx$/;

/** Graphs in a cache entry left by processes that are gone (their weights stay: that is the cache). */
function sweepGraphs(dir: string, quietMs = 60_000): void {
  for (const name of fs.readdirSync(dir)) {
    const m = ENTRY_GRAPH.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      if (Date.now() - fs.statSync(path.join(dir, name)).mtimeMs >= quietMs) fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // already gone
    }
  }
}

/** The checkpoint files a cache entry was made from (none listed: unknown). */
export function entrySources(dir: string): string[] {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as { sources?: unknown };
    return Array.isArray(m.sources) ? m.sources.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Whether a live process has graphs in the cache entry `dir` (it may be reading the weights). */
export function entryInUse(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some((name) => {
      const m = ENTRY_GRAPH.exec(name);
      return !!m && alive(Number(m[1]));
    });
  } catch {
    return false;
  }
}
