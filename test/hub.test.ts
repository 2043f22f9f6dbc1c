// resolveModelDir against a local fake hub (test/helpers/hub-server.ts): the cache layout Python tools
// share, selective download, cache hits with the server gone, gated repos, and the error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { resolveModelDir } from '../src/engine/hub';
import { UserError } from '../src/engine';
import { startHubServer, type HubServer } from './helpers/hub-server';
import { writeTinyModel } from './helpers/tiny-models';
import { Tokenizer } from '../src/engine/tokenizer';

const json = (v: unknown) => JSON.stringify(v);
const shard1 = randomBytes(1_500_000); // over one MiB, so progress reports in between
const shard2 = randomBytes(4096);
const tinyFiles: Record<string, string | Uint8Array> = {
  'config.json': json({ model_type: 'llama', vocab_size: 300 }),
  'generation_config.json': json({ eos_token_id: [1, 2] }),
  'tokenizer.json': json({ version: '1.0', model: { type: 'BPE', vocab: {}, merges: [] } }),
  'tokenizer_config.json': json({ eos_token: '</s>' }),
  'special_tokens_map.json': json({ eos_token: '</s>' }),
  'model.safetensors.index.json': json({
    metadata: { total_size: 0 },
    weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors', 'c.weight': 'model-00001-of-00002.safetensors' },
  }),
  'model-00001-of-00002.safetensors': shard1,
  'model-00002-of-00002.safetensors': shard2,
  // Never downloaded: other formats, a consolidated copy outside the index, sub-folders, docs.
  'consolidated.safetensors': randomBytes(100),
  'pytorch_model.bin': randomBytes(100),
  'original/consolidated.00.pth': randomBytes(100),
  'onnx/model.onnx': randomBytes(100),
  'README.md': '# tiny',
};
const WANTED = [
  'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
];
const GOOD_TOKEN = 'hf_gatedAccessToken123';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-hub-'));
let n = 0;
const freshCache = () => path.join(tmp, `cache-${n++}`);
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function withServer<T>(fn: (s: HubServer) => Promise<T>): Promise<T> {
  // A small tree page size makes the client follow `Link: rel="next"`.
  const server = await startHubServer(
    [
      { id: 'acme/tiny', files: tinyFiles },
      { id: 'acme/gated', files: { 'config.json': '{}', 'model.safetensors': randomBytes(64) }, gatedToken: GOOD_TOKEN },
      { id: 'acme/pt-only', files: { 'config.json': '{}', 'pytorch_model.bin': randomBytes(64) } },
    ],
    { treePageSize: 3 },
  );
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** Sets env vars for the duration of fn (undefined deletes), restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k]; else process.env[k] = x;
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** A URL where nothing listens any more (connection refused). */
async function deadHubUrl(): Promise<string> {
  const server = await startHubServer([]);
  await server.close();
  return server.url;
}
const noHubEnv = { HF_TOKEN: undefined, HF_ENDPOINT: undefined, HF_HUB_OFFLINE: undefined };

test('downloads the needed files into the standard cache layout, then serves them with the hub gone', async () => {
  const cacheDir = freshCache();
  const progress: { file: string; bytes: number; total?: number }[] = [];
  let sha = '';
  await withEnv(noHubEnv, () =>
    withServer(async (server) => {
      sha = server.shaOf('acme/tiny');
      const r = await resolveModelDir('acme/tiny', { hubUrl: server.url, cacheDir, onProgress: (p) => progress.push(p) });
      const storage = path.join(cacheDir, 'models--acme--tiny');
      assert.deepEqual(r, { dir: path.join(storage, 'snapshots', sha), source: 'hub', repoId: 'acme/tiny', revision: sha });
      // Other weight formats, sub-folders and files outside the shard index were never requested.
      assert.ok(!server.requests.some((q) => /pytorch_model|consolidated|original|onnx|README/.test(q)), server.requests.join('\n'));
      // Tree listing came in several pages.
      assert.ok(server.requests.filter((q) => q.includes('/tree/')).length > 1);
    }),
  );

  const storage = path.join(cacheDir, 'models--acme--tiny');
  assert.equal(fs.readFileSync(path.join(storage, 'refs', 'main'), 'utf8'), sha);
  const snap = path.join(storage, 'snapshots', sha);
  assert.deepEqual(fs.readdirSync(snap).sort(), [...WANTED].sort());
  const etags = new Set<string>();
  for (const name of WANTED) {
    const want = Buffer.from(tinyFiles[name]);
    const link = path.join(snap, name);
    // Blob names are what huggingface_hub uses: LFS sha256 for weights, git blob sha1 otherwise.
    const etag = name.endsWith('.safetensors') ? sha256(want) : gitOid(want);
    etags.add(etag);
    assert.equal(fs.readlinkSync(link), path.join('..', '..', 'blobs', etag), name);
    assert.ok(fs.readFileSync(link).equals(want), `bytes of ${name}`);
  }
  // Equal contents share one blob (tokenizer_config.json = special_tokens_map.json here); no temp files left.
  assert.equal(etags.size, WANTED.length - 1);
  assert.deepEqual(fs.readdirSync(path.join(storage, 'blobs')).sort(), [...etags].sort());

  const big = progress.filter((p) => p.file === 'model-00001-of-00002.safetensors');
  assert.ok(big.length >= 3, `progress events: ${big.length}`);
  assert.deepEqual(big.map((p) => p.bytes), [...big.map((p) => p.bytes)].sort((a, b) => a - b));
  assert.deepEqual(big[big.length - 1], { file: 'model-00001-of-00002.safetensors', bytes: shard1.length, total: shard1.length });

  // That server is closed: the cached snapshot must be used without any request (an empty hub that
  // records requests stands in), by branch and by sha.
  await withEnv(noHubEnv, async () => {
    const empty = await startHubServer([]);
    try {
      const again = await resolveModelDir('acme/tiny', { hubUrl: empty.url, cacheDir });
      assert.equal(again.dir, snap);
      assert.equal(again.revision, sha);
      const bySha = await resolveModelDir('acme/tiny', { hubUrl: empty.url, cacheDir, revision: sha });
      assert.equal(bySha.dir, snap);
      assert.deepEqual(empty.requests, []);
    } finally {
      await empty.close();
    }
  });
  // The default cache location follows HF_HUB_CACHE, and HF_HUB_OFFLINE=1 is fine on a hit.
  await withEnv({ ...noHubEnv, HF_HUB_CACHE: cacheDir, HF_HUB_OFFLINE: '1' }, async () => {
    assert.equal((await resolveModelDir('acme/tiny')).dir, snap);
  });
});

test('a lost blob is fetched again; an incomplete snapshot serves when the hub is unreachable', async () => {
  const cacheDir = freshCache();
  await withEnv(noHubEnv, () =>
    withServer(async (server) => {
      const first = await resolveModelDir('acme/tiny', { hubUrl: server.url, cacheDir });
      fs.rmSync(path.join(cacheDir, 'models--acme--tiny', 'blobs', sha256(shard2)));
      server.requests.length = 0;
      const second = await resolveModelDir('acme/tiny', { hubUrl: server.url, cacheDir });
      assert.equal(second.dir, first.dir);
      assert.ok(fs.readFileSync(path.join(second.dir, 'model-00002-of-00002.safetensors')).equals(shard2));
      // Only the missing shard's bytes came over again.
      const fetched = server.requests.filter((q) => q.includes('/resolve/'));
      assert.deepEqual(fetched.map((q) => path.basename(q)), ['model-00002-of-00002.safetensors']);

      // With the hub unreachable, a snapshot that has config and weights but lacks a file still serves.
      fs.rmSync(path.join(second.dir, 'tokenizer.json'));
      const offline = await resolveModelDir('acme/tiny', { hubUrl: await deadHubUrl(), cacheDir });
      assert.equal(offline.dir, first.dir);
    }),
  );
});

test('HF_HUB_OFFLINE=1 without a cached copy is a clear error, with no request', async () => {
  await withEnv({ ...noHubEnv, HF_HUB_OFFLINE: '1' }, () =>
    withServer(async (server) => {
      await assert.rejects(resolveModelDir('acme/tiny', { hubUrl: server.url, cacheDir: freshCache() }), (e: unknown) =>
        e instanceof UserError && /HF_HUB_OFFLINE/.test(e.message) && e.message.includes('acme/tiny'));
      assert.deepEqual(server.requests, []);
    }),
  );
});

test('a gated repo needs HF_TOKEN: 401 without, 403 with a wrong one, success with the right one', async () => {
  await withEnv(noHubEnv, () =>
    withServer(async (server) => {
      const cacheDir = freshCache();
      await assert.rejects(resolveModelDir('acme/gated', { hubUrl: server.url, cacheDir }), (e: unknown) =>
        e instanceof UserError && /401/.test(e.message) && /HF_TOKEN/.test(e.message) && /Set Hugging Face Token/.test(e.message));

      const wrong = 'hf_wrongTokenSecret999';
      await withEnv({ HF_TOKEN: wrong }, () =>
        assert.rejects(resolveModelDir('acme/gated', { hubUrl: server.url, cacheDir }), (e: unknown) =>
          e instanceof UserError && /403/.test(e.message) && !e.message.includes(wrong)));

      await assert.rejects(resolveModelDir('acme/gated', { hubUrl: server.url, cacheDir, token: 'not-a-token' }), (e: unknown) =>
        e instanceof UserError && /must start with 'hf_'/.test(e.message) && !e.message.includes('not-a-token'));

      // Right token from the environment, hub URL from HF_ENDPOINT.
      const r = await withEnv({ HF_TOKEN: GOOD_TOKEN, HF_ENDPOINT: server.url }, () => resolveModelDir('acme/gated', { cacheDir }));
      assert.equal(r.revision, server.shaOf('acme/gated'));
      assert.ok(fs.existsSync(path.join(r.dir, 'model.safetensors')));
    }),
  );
});

test('unknown repo: "model \'x\' not found on <hub>"', async () => {
  await withEnv(noHubEnv, () =>
    withServer(async (server) => {
      await assert.rejects(resolveModelDir('acme/nope', { hubUrl: server.url, cacheDir: freshCache() }), (e: unknown) =>
        e instanceof UserError && e.message.startsWith(`model 'acme/nope' not found on ${server.url}`));
      await assert.rejects(resolveModelDir('acme/tiny', { hubUrl: server.url, cacheDir: freshCache(), revision: 'v9' }), (e: unknown) =>
        e instanceof UserError && /not found/.test(e.message) && /'v9'/.test(e.message));
    }),
  );
});

test('a repo with only pytorch weights is refused before any download', async () => {
  await withEnv(noHubEnv, () =>
    withServer(async (server) => {
      await assert.rejects(resolveModelDir('acme/pt-only', { hubUrl: server.url, cacheDir: freshCache() }), (e: unknown) =>
        e instanceof UserError && /no \.safetensors/.test(e.message) && /pytorch_model\.bin/.test(e.message));
      assert.ok(!server.requests.some((q) => q.includes('/resolve/')));
    }),
  );
});

test('an unreachable hub says so and points to passing a local folder', async () => {
  const deadUrl = await deadHubUrl();
  await withEnv(noHubEnv, () =>
    assert.rejects(resolveModelDir('acme/tiny', { hubUrl: deadUrl, cacheDir: freshCache() }), (e: unknown) =>
      e instanceof UserError && /can't reach the Hugging Face Hub/.test(e.message) && /ECONNREFUSED/.test(e.message) && /local folder/.test(e.message)));
});

test('local folders resolve as they are; a missing path or a bad id is a UserError', async () => {
  const dir = path.join(tmp, 'local-model');
  fs.mkdirSync(dir, { recursive: true });
  assert.deepEqual(await resolveModelDir(dir), { dir: path.resolve(dir), source: 'local' });
  fs.writeFileSync(path.join(dir, 'config.json'), '{}');
  await assert.rejects(resolveModelDir(path.join(dir, 'config.json')), (e: unknown) => e instanceof UserError && /is a file/.test(e.message));
  const deadUrl = await deadHubUrl();
  for (const bad of ['./no/such-folder', '/no/such/folder', 'just-a-name', 'a/b/c']) {
    await assert.rejects(resolveModelDir(bad, { cacheDir: freshCache(), hubUrl: deadUrl }), (e: unknown) =>
      e instanceof UserError && e.message.includes(`'${bad}'`) && /neither an existing folder nor/.test(e.message), bad);
  }
  await assert.rejects(resolveModelDir('acme/tiny', { cacheDir: freshCache(), hubUrl: deadUrl, revision: '../../x' }), (e: unknown) =>
    e instanceof UserError && /revision '\.\.\/\.\.\/x' is not a branch/.test(e.message));
});

test('a tiny model served by the fake hub loads its tokenizer from the snapshot symlinks', async () => {
  const src = path.join(tmp, 'tiny-llama-src');
  writeTinyModel(src, 'llama', { sharded: true });
  const files = Object.fromEntries(fs.readdirSync(src).map((f) => [f, fs.readFileSync(path.join(src, f))]));
  const server = await startHubServer([{ id: 'acme/tiny-llama', files }]);
  try {
    const r = await withEnv(noHubEnv, () => resolveModelDir('acme/tiny-llama', { hubUrl: server.url, cacheDir: freshCache() }));
    assert.deepEqual(fs.readdirSync(r.dir).sort(), Object.keys(files).sort());
    const [fromHub, fromSrc] = await Promise.all([Tokenizer.load(r.dir), Tokenizer.load(src)]);
    const text = 'Hello world, the cat sat.';
    assert.deepEqual(fromHub.encode(text), fromSrc.encode(text));
    assert.deepEqual(fromHub.eosIds, fromSrc.eosIds);
  } finally {
    await server.close();
  }
});
