// Refuses a model that cannot fit in free memory before loading it (loading a 16 GB model on an 8 GB laptop
// would otherwise swap the machine to a halt). The estimate comes from the safetensors headers only: the
// engine keeps float32 copies of all weights, and while loading the file bytes are held too.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../engine/errors';

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Sessions, KV cache and activations of one batch, on top of the weights. */
const OVERHEAD_BYTES = 256 * 2 ** 20;

export interface MemoryEstimate {
  /** Parameters counted from the headers. */
  params: number;
  fileBytes: number;
  /** Peak resident bytes expected while loading and running. */
  neededBytes: number;
}

function readHeader(file: string): Record<string, { dtype: string; shape: number[] }> {
  const fd = fs.openSync(file, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    if (fs.readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new UserError(`${file}: too short for a safetensors file (expected an 8-byte header length)`);
    const len = Number(lenBuf.readBigUInt64LE(0));
    if (len <= 0 || len > 100 * 2 ** 20) throw new UserError(`${file}: safetensors header length ${len} is implausible (expected 1 byte … 100 MiB)`);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, 8);
    const header = JSON.parse(buf.toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
    delete (header as Record<string, unknown>).__metadata__;
    return header;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: cannot read the safetensors header: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

export function estimateModelMemory(dir: string): MemoryEstimate {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')) : [];
  let params = 0;
  let fileBytes = 0;
  for (const f of files) {
    for (const t of Object.values(readHeader(path.join(dir, f)))) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      params += n;
      fileBytes += n * (BYTES[t.dtype] ?? 4);
    }
  }
  return { params, fileBytes, neededBytes: params * 4 + fileBytes + OVERHEAD_BYTES };
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
      `(float32 weights plus the file while loading), but only ${gib(available)} is free; use a smaller model, close other programs, or pass --skip-memory-check`);
  }
  return est;
}
