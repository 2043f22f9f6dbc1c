// Our safetensors reader/writer. Format (huggingface/safetensors docs): u64 LE header length N, N bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}, then the raw
// little-endian tensor bytes; offsets are relative to the end of the header and tile the data exactly.
// Every tensor is handed to the engine as Float32 whatever its on-disk dtype.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './half';

export type DiskDType = 'F32' | 'F16' | 'BF16';
export interface LoadedTensor { name: string; shape: number[]; data: Float32Array; diskDType: DiskDType }
export interface TensorToWrite { name: string; shape: number[]; data: Float32Array; dtype?: DiskDType }

const DTYPE_BYTES: Record<DiskDType, number> = { F32: 4, F16: 2, BF16: 2 };
const SUPPORTED = Object.keys(DTYPE_BYTES) as DiskDType[];
const METADATA_KEY = '__metadata__';
/** fs.readSync moves at most 2 GiB per call. */
const MAX_IO = 0x7fff0000;

interface HeaderEntry { name: string; dtype: DiskDType; shape: number[]; begin: number; end: number }

function isDiskDType(s: unknown): s is DiskDType {
  return typeof s === 'string' && (SUPPORTED as string[]).includes(s);
}

function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads exactly `length` bytes at `position` into `view` (bytes from its start), looping over the 2 GiB limit. */
function readFully(fd: number, view: ArrayBufferView, length: number, position: number, file: string): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, bytes, done, Math.min(MAX_IO, length - done), position + done);
    if (n === 0) throw new UserError(`${file}: file ended after ${position + done} bytes while reading tensor data (file truncated?)`);
    done += n;
  }
}

const MAX_HEADER_BYTES = 100_000_000;

/** Parses and checks the JSON header; returns the entries sorted by begin offset and the data size they describe. */
function parseHeader(file: string, text: string): { entries: HeaderEntry[]; dataBytes: number } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: safetensors header is not valid JSON (${(e as Error).message}); is this a safetensors file?`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UserError(`${file}: safetensors header must be a JSON object of tensors, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === METADATA_KEY) continue;
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw new UserError(`${file}: header entry '${name}' is not an object`);
    if (!isDiskDType(info.dtype)) {
      throw new UserError(`${file}: tensor '${name}' has dtype ${String(info.dtype)}; supported dtypes: ${SUPPORTED.join(', ')}`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new UserError(`${file}: tensor '${name}' has shape ${JSON.stringify(shape)}; expected an array of non-negative integers`);
    }
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new UserError(`${file}: tensor '${name}' has data_offsets ${JSON.stringify(off)}; expected [begin, end] with 0 <= begin <= end`);
    }
    const need = numel(shape as number[]) * DTYPE_BYTES[info.dtype];
    if (off[1] - off[0] !== need) {
      throw new UserError(`${file}: tensor '${name}' data_offsets ${JSON.stringify(off)} span ${off[1] - off[0]} bytes, but shape ${JSON.stringify(shape)} of ${info.dtype} needs ${need}`);
    }
    entries.push({ name, dtype: info.dtype, shape: shape as number[], begin: off[0], end: off[1] });
  }
  // The format requires the tensors to tile the data region with no gap or overlap; a tensor that breaks
  // the tiling points outside the bytes the other tensors describe.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin !== cursor) {
      throw new UserError(`${file}: tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] are out of range: expected it to start at byte ${cursor} of the data (tensors must tile the data without gaps or overlaps)`);
    }
    cursor = e.end;
  }
  return { entries, dataBytes: cursor };
}

/** Opens a .safetensors file and parses its header; with `checkSize`, also checks it against the file size. The caller closes `fd`. */
function openChecked(file: string, checkSize = true): { fd: number; entries: HeaderEntry[]; dataStart: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot open (${code ?? (e as Error).message})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new UserError(`${file}: truncated: a safetensors file needs at least 8 bytes (header length), file has ${size}`);
    const lenBuf = Buffer.alloc(8);
    readFully(fd, lenBuf, 8, 0, file);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(size - 8) && checkSize) {
      throw new UserError(`${file}: truncated or not safetensors: header length field says ${headerLen} bytes, but only ${size - 8} bytes follow it`);
    }
    // The format caps the header at 100 MB; without the file-size check (header-only reads) this is the bound
    // that keeps a corrupt length field from asking for terabytes.
    if (headerLen > BigInt(MAX_HEADER_BYTES)) {
      throw new UserError(`${file}: not a safetensors file or corrupt: the header length field says ${headerLen} bytes (at most ${MAX_HEADER_BYTES} allowed)`);
    }
    const hlen = Number(headerLen);
    const headerBuf = Buffer.alloc(hlen);
    readFully(fd, headerBuf, hlen, 8, file);
    const { entries, dataBytes } = parseHeader(file, headerBuf.toString('utf8'));
    const dataStart = 8 + hlen;
    const expected = dataStart + dataBytes;
    if (size !== expected && checkSize) {
      throw new UserError(`${file}: ${size < expected ? 'truncated' : 'has trailing bytes'}: expected ${expected} bytes by header, file has ${size}`);
    }
    return { fd, entries, dataStart };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Tensor names, dtypes and shapes of one .safetensors file, reading only the header (sizes are checked at load). */
export function readSafetensorsHeader(file: string): { name: string; dtype: DiskDType; shape: number[] }[] {
  const { fd, entries } = openChecked(file, false);
  fs.closeSync(fd);
  return entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape.slice() }));
}

/** Reads one .safetensors file (only the tensors in `names`, if given); F16 and BF16 tensors are widened to Float32. */
export function readSafetensorsFile(file: string, names?: ReadonlySet<string>): Map<string, LoadedTensor> {
  const { fd, entries, dataStart } = openChecked(file);
  try {
    const out = new Map<string, LoadedTensor>();
    for (const e of entries) {
      if (names && !names.has(e.name)) continue;
      const n = numel(e.shape);
      const data = new Float32Array(n);
      if (e.dtype === 'F32') {
        readFully(fd, data, n * 4, dataStart + e.begin, file); // host is little-endian, like the file
      } else {
        const bits = new Uint16Array(n);
        readFully(fd, bits, n * 2, dataStart + e.begin, file);
        if (e.dtype === 'F16') f16BitsToF32(bits, data);
        else bf16BitsToF32(bits, data);
      }
      out.set(e.name, { name: e.name, shape: e.shape.slice(), data, diskDType: e.dtype });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes tensors (Float32 in memory, stored as `dtype`, default F32) in the order given. */
export function writeSafetensorsFile(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    if (!isDiskDType(dtype)) throw new UserError(`${file}: tensor '${t.name}' dtype ${String(dtype)}; supported dtypes: ${SUPPORTED.join(', ')}`);
    if (t.name === METADATA_KEY || Object.prototype.hasOwnProperty.call(header, t.name)) {
      throw new UserError(`${file}: tensor name '${t.name}' is reserved or repeated`);
    }
    if (numel(t.shape) !== t.data.length) {
      throw new UserError(`${file}: tensor '${t.name}' has shape ${JSON.stringify(t.shape)} (${numel(t.shape)} elements) but ${t.data.length} values`);
    }
    let bytes: Uint8Array;
    if (dtype === 'F32') bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    else {
      const bits = dtype === 'F16' ? f32ToF16Bits(t.data) : f32ToBf16Bits(t.data);
      bytes = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    }
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    payloads.push(bytes);
  }
  // Pad the header with spaces to a multiple of 8 so the data starts aligned (what the reference writer does).
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBytes.length));
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    writeAll(fd, lenBuf);
    writeAll(fd, headerBytes);
    for (const p of payloads) writeAll(fd, p);
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, Math.min(MAX_IO, bytes.byteLength - done));
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The safetensors files holding a model folder's weights (model.safetensors, or the shards its index lists). */
export function listWeightFiles(dir: string): { files: string[]; index?: { file: string; weightMap: Record<string, string> } } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: model folder not found`);
  const single = path.join(dir, SINGLE_FILE);
  if (fs.existsSync(single)) return { files: [single] };
  const indexFile = path.join(dir, INDEX_FILE);
  if (fs.existsSync(indexFile)) {
    let index: unknown;
    try {
      index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
    } catch (e) {
      throw new UserError(`${indexFile}: not valid JSON (${(e as Error).message})`);
    }
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
      throw new UserError(`${indexFile}: expected an object with "weight_map": {tensor name: shard file}`);
    }
    const wanted = weightMap as Record<string, unknown>;
    const shards = [...new Set(Object.values(wanted))];
    for (const sh of shards) {
      if (typeof sh !== 'string' || sh.includes('..') || path.isAbsolute(sh)) throw new UserError(`${indexFile}: bad shard file name ${JSON.stringify(sh)}`);
      if (!fs.existsSync(path.join(dir, sh))) throw new UserError(`${indexFile}: shard ${sh} is listed in the index but missing from ${dir}`);
    }
    return { files: (shards as string[]).map((sh) => path.join(dir, sh)), index: { file: indexFile, weightMap: wanted as Record<string, string> } };
  }
  const other = fs.readdirSync(dir).filter((f) => /\.(bin|pt|pth|gguf|ckpt)$/.test(f));
  const hint = other.length > 0 ? `; found ${other.join(', ')}, but only safetensors weights are supported` : '';
  throw new UserError(`${dir}: no weights found: looked for ${SINGLE_FILE} and ${INDEX_FILE} in this folder${hint}`);
}

export interface IndexedTensor { file: string; dtype: DiskDType; shape: number[] }

/** Every tensor of a model folder with its file, dtype and shape, from the headers alone (sizes and the index checked). */
export function indexWeightsDir(dir: string): { files: string[]; tensors: Map<string, IndexedTensor> } {
  const { files, index } = listWeightFiles(dir);
  const tensors = new Map<string, IndexedTensor>();
  for (const file of files) {
    const { fd, entries } = openChecked(file);
    fs.closeSync(fd);
    for (const e of entries) tensors.set(e.name, { file, dtype: e.dtype, shape: e.shape.slice() });
  }
  if (index) {
    for (const [name, sh] of Object.entries(index.weightMap)) {
      if (!tensors.has(name)) throw new UserError(`${index.file}: tensor '${name}' is mapped to ${String(sh)} but that shard does not contain it`);
    }
  }
  return { files, tensors };
}

/** Loads a Hugging Face model folder's weights (only `names`, if given): model.safetensors, or the index plus its shards. */
export function loadWeightsDir(dir: string, names?: ReadonlySet<string>): Map<string, LoadedTensor> {
  const { files, tensors } = indexWeightsDir(dir);
  const out = new Map<string, LoadedTensor>();
  for (const f of files) {
    if (names && ![...names].some((n) => tensors.get(n)?.file === f)) continue;
    for (const [name, t] of readSafetensorsFile(f, names)) out.set(name, t);
  }
  return out;
}
