// The weights cache (runtime/weights-cache.ts): a model loaded from its cache entry computes what a model whose
// weights were written for this process computes; a second load reads only the embedding table and writes
// nothing; a changed checkpoint gets a new entry; a damaged entry is rewritten; old entries are evicted, never one a
// live process uses; the folder follows the platform and the environment.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { WeightsCache, weightsCacheRoot } from '../src/engine/runtime/weights-cache';
import { writeTinyModel } from './helpers/tiny-models';

const IDS = [5, 77, 140, 3, 200, 61, 9, 33];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-wcache-'));
const cacheDir = path.join(root, 'cache');
const saved = { dir: process.env.GREATER_CACHE_DIR, min: process.env.GREATER_WEIGHTS_CACHE_MIN_BYTES, off: process.env.GREATER_WEIGHTS_CACHE };
process.env.GREATER_CACHE_DIR = cacheDir;
process.env.GREATER_WEIGHTS_CACHE_MIN_BYTES = '0'; // tiny models are below the default threshold
delete process.env.GREATER_WEIGHTS_CACHE;
after(() => {
  for (const [k, v] of [['GREATER_CACHE_DIR', saved.dir], ['GREATER_WEIGHTS_CACHE_MIN_BYTES', saved.min], ['GREATER_WEIGHTS_CACHE', saved.off]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const entries = () => (fs.existsSync(path.join(cacheDir, 'weights')) ? fs.readdirSync(path.join(cacheDir, 'weights')).sort() : []);

async function outputs(m: LanguageModel): Promise<{ logits: number[]; ids: number[]; grad: number[] }> {
  const [l] = await m.logits([IDS]);
  const [g] = await m.generate([IDS.slice(0, 3)], { maxNewTokens: 8, stopIds: [] });
  const [r] = await m.inputGradient([{ ids: IDS, targets: [{ position: 5, id: 42 }], gradPositions: [2] }]);
  return { logits: [...l], ids: g.ids, grad: [...r.grad[0]] };
}

test('a cached model computes the same as an uncached one; the second load reads only the embedding and writes nothing', async () => {
  const dir = path.join(root, 'qwen2');
  writeTinyModel(dir, 'qwen2', { seed: 4, tied: true });
  process.env.GREATER_WEIGHTS_CACHE = '0';
  const plain = await LanguageModel.load(dir, { weights: 'resident' });
  const want = await outputs(plain);
  await plain.dispose();
  delete process.env.GREATER_WEIGHTS_CACHE;
  assert.deepEqual(entries(), [], 'GREATER_WEIGHTS_CACHE=0 keeps the cache out');

  const first = await LanguageModel.load(dir, { weights: 'resident' });
  assert.equal(first.weightMap.size > 1, true, 'a miss reads every weight (to write them)');
  assert.deepEqual(await outputs(first), want);
  const [key] = entries();
  assert.match(key, /^[0-9a-f]{24}$/);
  const bin = path.join(cacheDir, 'weights', key, 'weights.bin');
  assert.ok(fs.readdirSync(path.dirname(bin)).some((f) => f.startsWith(`${process.pid}-`) && f.endsWith('.onnx')), 'graphs sit beside the weights while in use');
  await first.dispose();
  assert.deepEqual(fs.readdirSync(path.dirname(bin)).sort(), ['manifest.json', 'weights.bin'], 'dispose removes this process\'s graphs, keeps the weights');

  const written = fs.statSync(bin).mtimeMs;
  const second = await LanguageModel.load(dir, { weights: 'resident' });
  assert.deepEqual([...second.weightMap.keys()], ['model.embed_tokens.weight'], 'a hit reads only the embedding table');
  assert.deepEqual(await outputs(second), want);
  await second.dispose();
  assert.equal(fs.statSync(bin).mtimeMs, written, 'a hit writes nothing');
  assert.deepEqual(entries(), [key]);

  // Damaged (a truncated file): removed and written again, same results.
  fs.truncateSync(bin, 100);
  const third = await LanguageModel.load(dir, { weights: 'resident' });
  assert.ok(third.weightMap.size > 1, 'a damaged entry is a miss');
  assert.deepEqual(await outputs(third), want);
  await third.dispose();
  assert.ok(fs.statSync(bin).size > 100);

  // A changed checkpoint (new modification time) is another entry.
  const t = new Date(Date.now() + 5000);
  fs.utimesSync(path.join(dir, 'model.safetensors'), t, t);
  const fourth = await LanguageModel.load(dir, { weights: 'resident' });
  assert.ok(fourth.weightMap.size > 1);
  await fourth.logits([IDS]); // the entry is written when the first session is made
  await fourth.dispose();
  assert.equal(entries().length, 2);

  // The disk must keep room: an entry that would leave less than 2 GiB free is not written (the run goes on uncached).
  const full = new WeightsCache(path.join(root, 'full'));
  assert.equal(full.write('0'.repeat(24), fs.statfsSync(root).bavail * fs.statfsSync(root).bsize, [], () => new Map()), null);
  assert.ok(!fs.existsSync(path.join(root, 'full', '0'.repeat(24))));

  // Inputs mode and quantized generation read every weight as before.
  const inputs = await LanguageModel.load(dir, { weights: 'inputs' });
  assert.ok(inputs.weightMap.size > 1);
  await inputs.dispose();
});

test('eviction keeps the most recently used entries and any entry a live process has graphs in; an entry whose model is gone goes', () => {
  const wroot = path.join(root, 'evict');
  const cache = new WeightsCache(wroot);
  const make = (key: string, ageS: number, graphPid?: number) => {
    const d = path.join(wroot, key);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'weights.bin'), 'x');
    if (graphPid !== undefined) fs.writeFileSync(path.join(d, `${graphPid}-forward.onnx`), 'g');
    const t = (Date.now() - ageS * 1000) / 1000;
    fs.utimesSync(d, t, t);
  };
  const k = (c: string) => c.repeat(24);
  make(k('a'), 10);
  make(k('b'), 20);
  make(k('c'), 30, process.pid); // old, but in use by a live process
  make(k('d'), 40);
  make(k('e'), 50);
  fs.mkdirSync(path.join(wroot, `${k('f')}.partial-999999999-1`)); // a writer that died
  make(k('9'), 1); // the most recent, but its model folder was deleted
  fs.writeFileSync(path.join(wroot, k('9'), 'manifest.json'), JSON.stringify({ sources: [path.join(root, 'gone', 'model.safetensors')] }));
  const t = (Date.now() - 1000) / 1000;
  fs.utimesSync(path.join(wroot, k('9')), t, t);
  const removed = cache.sweep(k('0'));
  assert.deepEqual(removed.sort(), [`${k('f')}.partial-999999999-1`, k('9'), k('b'), k('d'), k('e')].sort());
  assert.deepEqual(fs.readdirSync(wroot).sort(), [k('a'), k('c')]);
});

test('the cache folder: GREATER_CACHE_DIR, else the platform\'s cache folder; GREATER_WEIGHTS_CACHE=0 turns it off', () => {
  assert.equal(weightsCacheRoot({ GREATER_CACHE_DIR: '/x' }, 'linux'), path.join('/x', 'weights'));
  assert.equal(weightsCacheRoot({ XDG_CACHE_HOME: '/xdg' }, 'linux'), path.join('/xdg', 'greater', 'weights'));
  assert.equal(weightsCacheRoot({}, 'linux'), path.join(os.homedir(), '.cache', 'greater', 'weights'));
  assert.equal(weightsCacheRoot({}, 'darwin'), path.join(os.homedir(), 'Library', 'Caches', 'greater', 'weights'));
  assert.equal(weightsCacheRoot({ LOCALAPPDATA: 'C:\\L' }, 'win32'), path.join('C:\\L', 'greater', 'weights'));
  assert.equal(weightsCacheRoot({ GREATER_WEIGHTS_CACHE: '0', GREATER_CACHE_DIR: '/x' }, 'linux'), null);
});
