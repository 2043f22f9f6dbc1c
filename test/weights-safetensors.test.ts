// safetensors reader/writer: round trips per dtype, hand-built files, a sharded folder, and one test per
// kind of bad input (each message must name the file at fault).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadWeightsDir, readSafetensorsFile, readSafetensorsHeader, writeSafetensorsFile } from '../src/engine/weights/safetensors';
import { UserError } from '../src/engine';

const made: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-st-'));
  made.push(d);
  return d;
}
after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

/** Builds a safetensors file byte by byte, independent of our writer. */
function handBuilt(file: string, header: unknown, data: Buffer, lenOverride?: number): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lenOverride ?? json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
}

function assertUserError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.ok(!e.message.includes('\n'), 'message must be one line');
    return true;
  });
}

const esc = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

test('F32 round trip keeps every value, shape, order-independent names and metadata alignment', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'a.safetensors');
  const a = Float32Array.from({ length: 6 }, (_, i) => Math.fround(Math.sin(i + 1) * 1e3));
  const b = Float32Array.from([-0, Infinity, -Infinity, 1e-40, 3.4e38]);
  writeSafetensorsFile(file, [{ name: 'a', shape: [2, 3], data: a }, { name: 'b', shape: [5], data: b }, { name: 's', shape: [], data: Float32Array.of(7) }], { format: 'pt' });
  const raw = fs.readFileSync(file);
  const hlen = Number(raw.readBigUInt64LE(0));
  assert.equal((8 + hlen) % 8, 0, 'data starts 8-byte aligned');
  assert.deepEqual(JSON.parse(raw.subarray(8, 8 + hlen).toString()).__metadata__, { format: 'pt' });
  const m = readSafetensorsFile(file);
  assert.deepEqual([...m.keys()].sort(), ['a', 'b', 's']);
  assert.deepEqual(m.get('a')!.shape, [2, 3]);
  assert.deepEqual(m.get('s')!.shape, []);
  assert.equal(m.get('a')!.diskDType, 'F32');
  assert.deepEqual(m.get('a')!.data, a);
  assert.ok(Object.is(m.get('b')!.data[0], -0));
  assert.deepEqual([...m.get('b')!.data].slice(1), [...b].slice(1));
});

test('F16 round trip: exactly representable values survive, with the IEEE bit patterns on disk', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'h.safetensors');
  const vals = Float32Array.from([1, -2, 0.5, 65504, 2 ** -24, -(2 ** -14), 1 + 2 ** -10, 0, Infinity, 3.140625]);
  writeSafetensorsFile(file, [{ name: 'h', shape: [10], data: vals, dtype: 'F16' }]);
  const raw = fs.readFileSync(file);
  const start = 8 + Number(raw.readBigUInt64LE(0));
  const bits = [...new Uint16Array(raw.buffer.slice(raw.byteOffset + start, raw.byteOffset + start + 20))];
  assert.deepEqual(bits, [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8400, 0x3c01, 0x0000, 0x7c00, 0x4248]);
  const t = readSafetensorsFile(file).get('h')!;
  assert.equal(t.diskDType, 'F16');
  assert.deepEqual([...t.data], [...vals]);
});

test('F16 writer rounds to nearest even and overflows to infinity', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'r.safetensors');
  // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even mantissa (1) wins; 1 + 3·2^-11 ties up to 1 + 2^-9.
  const vals = Float32Array.from([1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -11 + 2 ** -20, 70000, 2 ** -26, 3 * 2 ** -26]);
  writeSafetensorsFile(file, [{ name: 'r', shape: [6], data: vals, dtype: 'F16' }]);
  const got = [...readSafetensorsFile(file).get('r')!.data];
  assert.deepEqual(got, [1, 1 + 2 ** -9, 1 + 2 ** -10, Infinity, 0, 2 ** -24]);
});

test('BF16 round trip: values with 8 mantissa bits survive; on disk they are the top half of float32', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'b.safetensors');
  const vals = Float32Array.from([1, -3.25, 2 ** 100, 1.5 * 2 ** -100, 0.0078125, 255, -0]);
  writeSafetensorsFile(file, [{ name: 'w', shape: [7, 1], data: vals, dtype: 'BF16' }]);
  const raw = fs.readFileSync(file);
  const start = 8 + Number(raw.readBigUInt64LE(0));
  assert.equal(raw.readUInt16LE(start), 0x3f80);
  const t = readSafetensorsFile(file).get('w')!;
  assert.equal(t.diskDType, 'BF16');
  assert.deepEqual(t.shape, [7, 1]);
  assert.deepEqual([...t.data], [...vals]);
});

test('reads a hand-built file with F16 and BF16 tensors listed out of data order', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'x.safetensors');
  const data = Buffer.alloc(8);
  data.writeUInt16LE(0x4000, 0); // bf16 2.0 -> "late" tensor placed first in data
  data.writeUInt16LE(0xbf80, 2); // bf16 -1.0
  data.writeUInt16LE(0x3555, 4); // f16 0.333251953125
  data.writeUInt16LE(0xfbff, 6); // f16 -65504
  handBuilt(file, { early: { dtype: 'F16', shape: [2], data_offsets: [4, 8] }, late: { dtype: 'BF16', shape: [1, 2], data_offsets: [0, 4] } }, data);
  const m = readSafetensorsFile(file);
  assert.deepEqual([...m.get('early')!.data], [0.333251953125, -65504]);
  assert.deepEqual([...m.get('late')!.data], [2, -1]);
});

test('loads a sharded folder through model.safetensors.index.json', () => {
  const dir = tmpDir();
  const x = Float32Array.from([1, 2, 3, 4]);
  const y = Float32Array.from([5, 6]);
  writeSafetensorsFile(path.join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'x', shape: [2, 2], data: x }]);
  writeSafetensorsFile(path.join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'y', shape: [2], data: y, dtype: 'BF16' }]);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({
    metadata: { total_size: 20 }, weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' },
  }));
  const m = loadWeightsDir(dir);
  assert.deepEqual([...m.keys()].sort(), ['x', 'y']);
  assert.deepEqual(m.get('x')!.data, x);
  assert.deepEqual([...m.get('y')!.data], [5, 6]);
  assert.equal(m.get('y')!.diskDType, 'BF16');
});

test('missing weights: names the folder and the files looked for', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
  assertUserError(() => loadWeightsDir(dir), esc(dir), /model\.safetensors and model\.safetensors\.index\.json/, /pytorch_model\.bin/);
  assertUserError(() => readSafetensorsFile(path.join(dir, 'nope.safetensors')), /nope\.safetensors: file not found/);
});

test('truncated file: expected bytes by header vs file size', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'model.safetensors');
  writeSafetensorsFile(file, [{ name: 'w', shape: [4, 4], data: new Float32Array(16) }]);
  const full = fs.readFileSync(file);
  fs.writeFileSync(file, full.subarray(0, full.length - 10));
  assertUserError(() => loadWeightsDir(dir), esc(file), new RegExp(`truncated: expected ${full.length} bytes by header, file has ${full.length - 10}`));
  fs.writeFileSync(file, full.subarray(0, 20)); // cut inside the header
  assertUserError(() => readSafetensorsFile(file), esc(file), /header length field says \d+ bytes, but only 12 bytes follow/);
  fs.writeFileSync(file, full.subarray(0, 5));
  assertUserError(() => readSafetensorsFile(file), esc(file), /file has 5/);
});

test('a header length of 2^40 is refused by name, even where only the header is read', () => {
  const file = path.join(tmpDir(), 'huge.safetensors');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(2n ** 40n);
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from('{"w": {}}')]));
  assertUserError(() => readSafetensorsHeader(file), esc(file), /header length field says 1099511627776 bytes \(at most 100000000 allowed\)/);
});

test('header that is not JSON', () => {
  const file = path.join(tmpDir(), 'bad.safetensors');
  handBuilt(file, '{"w": {"dtype": "F32", ', Buffer.alloc(0));
  assertUserError(() => readSafetensorsFile(file), esc(file), /header is not valid JSON/);
});

test('unsupported dtype names the tensor and the supported list', () => {
  const file = path.join(tmpDir(), 'i64.safetensors');
  handBuilt(file, { ids: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, Buffer.alloc(8));
  assertUserError(() => readSafetensorsFile(file), esc(file), /tensor 'ids' has dtype I64; supported dtypes: F32, F16, BF16/);
});

test('shard listed in the index but missing', () => {
  const dir = tmpDir();
  writeSafetensorsFile(path.join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'x', shape: [1], data: Float32Array.of(1) }]);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({
    weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' },
  }));
  assertUserError(() => loadWeightsDir(dir), /model\.safetensors\.index\.json/, /shard model-00002-of-00002\.safetensors is listed in the index but missing/);
});

test('tensor offsets out of range or inconsistent with the shape', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'off.safetensors');
  // Second tensor points past the bytes the header describes (gap from 8 to 100).
  handBuilt(file, { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [100, 104] } }, Buffer.alloc(12));
  assertUserError(() => readSafetensorsFile(file), esc(file), /tensor 'b' data_offsets \[100, 104\] are out of range/);
  handBuilt(file, { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8));
  assertUserError(() => readSafetensorsFile(file), esc(file), /tensor 'a' data_offsets \[0,8\] span 8 bytes, but shape \[3\] of F32 needs 12/);
  handBuilt(file, { a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, Buffer.alloc(8));
  assertUserError(() => readSafetensorsFile(file), esc(file), /expected \[begin, end\] with 0 <= begin <= end/);
});
