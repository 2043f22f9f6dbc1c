// The weights cache: a model's weights as its sessions load them (converted to the compute format, matrices
// transposed where the graphs want them, aligned), kept on disk between runs. Writing them is seconds at a real
// model's size and so is reading every tensor of the checkpoint first; on a hit a run reads only the embedding
// table. An entry's key covers everything its bytes depend on: the checkpoint files (path, size, modification
// time), the number format and the storage layout's version, so a changed model gets a new entry and old entries
// are evicted, least recently used first, beyond a few.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResidentWeightsDir, alive, entryInUse, entrySources } from './resident-weights';

/** Bumped whenever what an entry holds for the same key changes (layout of the file, transposed copies). */
const LAYOUT_VERSION = 1;
/** Entries kept besides those in use (each is about a model's size in the compute format: 16 GB for 4B in fp32). */
const KEEP = 1;
/** Room an entry must leave on the disk: a cache never fills it (the run then writes a private copy, as uncached). */
const MIN_FREE_BYTES = 2 * 2 ** 30;
const MIN_FREE_FRACTION = 0.1;
/** Below this the file is written in well under a second: not worth the disk. */
const DEFAULT_MIN_BYTES = 64 * 2 ** 20;

/**
 * The cache folder, or null when caching is off (GREATER_WEIGHTS_CACHE=0). GREATER_CACHE_DIR moves it; otherwise
 * the platform's cache folder (XDG_CACHE_HOME or ~/.cache on Linux, ~/Library/Caches on macOS, LOCALAPPDATA on
 * Windows), under greater/weights.
 */
export function weightsCacheRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (env.GREATER_WEIGHTS_CACHE === '0') return null;
  if (env.GREATER_CACHE_DIR) return path.join(env.GREATER_CACHE_DIR, 'weights');
  const home = os.homedir();
  const base = platform === 'win32' ? env.LOCALAPPDATA || path.join(home, 'AppData', 'Local')
    : platform === 'darwin' ? path.join(home, 'Library', 'Caches')
      : env.XDG_CACHE_HOME || path.join(home, '.cache');
  return path.join(base, 'greater', 'weights');
}

/** Models whose stored weights are smaller than this are written per process (GREATER_WEIGHTS_CACHE_MIN_BYTES). */
export function cacheMinBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.GREATER_WEIGHTS_CACHE_MIN_BYTES);
  return env.GREATER_WEIGHTS_CACHE_MIN_BYTES !== undefined && Number.isFinite(v) && v >= 0 ? v : DEFAULT_MIN_BYTES;
}

export interface CacheIdentity {
  /** The checkpoint's weight files. */
  files: readonly string[];
  /** The format the weights are stored in (float32, float64, float16). */
  compute: string;
  /** Whether the head shares the embedding table (it decides the transposed copies). */
  tied: boolean;
  /** The tensors stored, by name. */
  names: readonly string[];
}

/** The entry's name: a hash of everything its bytes depend on. */
export function cacheKey(id: CacheIdentity): string {
  const files = id.files.map((f) => {
    const st = fs.statSync(f);
    return [fs.realpathSync(f), st.size, st.mtimeMs];
  });
  const text = JSON.stringify({ v: LAYOUT_VERSION, files, compute: id.compute, tied: id.tied, names: [...id.names].sort() });
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

export class WeightsCache {
  constructor(readonly root: string) {}

  entryDir(key: string): string {
    return path.join(this.root, key);
  }

  /** The entry for `key` if it is complete (old entries are swept first). */
  open(key: string): ResidentWeightsDir | null {
    try {
      this.sweep(key);
      return fs.existsSync(this.entryDir(key)) ? ResidentWeightsDir.openEntry(this.entryDir(key)) : null;
    } catch {
      return null; // an unreadable cache is a miss, never a failure
    }
  }

  /**
   * Writes the entry for `key` (about `bytes`) after evicting old ones; null when the cache cannot take it: the disk
   * would be left with less than 2 GiB or a tenth free, or it is read-only.
   */
  write(key: string, bytes: number, sources: readonly string[], produce: () => Parameters<typeof ResidentWeightsDir.writeEntry>[1]): ResidentWeightsDir | null {
    try {
      fs.mkdirSync(this.root, { recursive: true });
      this.sweep(key);
      const disk = fs.statfsSync(this.root);
      if ((disk.bavail * disk.bsize) - bytes < Math.max(MIN_FREE_BYTES, MIN_FREE_FRACTION * disk.blocks * disk.bsize)) return null;
      return ResidentWeightsDir.writeEntry(this.entryDir(key), produce(), sources.map((f) => fs.realpathSync(f)));
    } catch {
      return null;
    }
  }

  /**
   * Removes half-written entries of processes that are gone, entries whose checkpoint is gone (a deleted model
   * folder) and, least recently used first, the entries beyond KEEP; never one a live process is using. Returns the
   * names removed.
   */
  sweep(keep: string): string[] {
    const removed: string[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return removed;
    }
    const remove = (name: string) => {
      fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
      removed.push(name);
    };
    for (const name of names) {
      const m = /\.partial-(\d+)-\d+$/.exec(name);
      if (m && !alive(Number(m[1]))) remove(name);
    }
    const orphaned = (n: string) => entrySources(path.join(this.root, n)).some((f) => !fs.existsSync(f));
    const entries = names.filter((n) => /^[0-9a-f]{24}$/.test(n) && n !== keep && !entryInUse(path.join(this.root, n)))
      .map((n) => ({ n, used: fs.statSync(path.join(this.root, n)).mtimeMs }))
      .sort((a, b) => b.used - a.used);
    const kept = entries.filter(({ n }) => {
      if (!orphaned(n)) return true;
      remove(n);
      return false;
    });
    for (const { n } of kept.slice(KEEP)) remove(n);
    return removed;
  }
}
