// Refuses a model that cannot fit in free memory before loading it (loading a 16 GB model on an 8 GB laptop
// would otherwise swap the machine to a halt). The estimate comes from the safetensors headers only: the
// engine keeps float32 copies of all weights and reads tensors one at a time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { UserError } from '../errors';
import { listWeightFiles, readSafetensorsHeader } from './safetensors';

/** Sessions, KV cache and activations of one batch, on top of the weights. */
const OVERHEAD_BYTES = 256 * 2 ** 20;
const DISK_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;

export interface MemoryEstimate {
  /** Parameters counted from the headers. */
  params: number;
  fileBytes: number;
  /** Peak resident bytes expected while running: float32 weights (tensors are read one at a time) + overhead. */
  neededBytes: number;
}

export function estimateModelMemory(dir: string): MemoryEstimate {
  let params = 0;
  let fileBytes = 0;
  for (const f of listWeightFiles(dir).files) {
    for (const t of readSafetensorsHeader(f)) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      params += n;
      fileBytes += n * DISK_BYTES[t.dtype];
    }
  }
  return { params, fileBytes, neededBytes: neededBytesFor(params, 'float32') };
}

/** Peak resident bytes for `params` weights held at `dtype`, plus sessions, KV cache and activations. */
export function neededBytesFor(params: number, dtype: 'float32' | 'float16'): number {
  return params * (dtype === 'float32' ? 4 : 2) + OVERHEAD_BYTES;
}

/** MemAvailable (counts reclaimable page cache) where Linux reports it, else os.freemem(). */
export function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return os.freemem();
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

export function checkModelFits(dir: string, available = availableMemory()): MemoryEstimate {
  const est = estimateModelMemory(dir);
  if (est.neededBytes > available) {
    throw new UserError(`${dir}: the model has ${(est.params / 1e9).toFixed(2)}B parameters and needs about ${gib(est.neededBytes)} of memory ` +
      `(as float32 weights), but only ${gib(available)} is free; use a smaller model, close other programs, or pass --skip-memory-check`);
  }
  return est;
}
