// Resolves a model argument (a local folder or a Hugging Face repo id "org/name") to a local folder,
// downloading only what the engine reads into the standard hub cache, which Python tools share.
//
// HTTP goes through @huggingface/hub 2.17; which call hits which endpoint (test/helpers/hub-server.ts
// serves exactly these):
//   modelInfo({ revision, additionalFields: ['sha'] })
//       GET  {hub}/api/models/{org}/{name}/revision/{revision}?expand=…   → JSON { sha, … }: the commit
//   listFiles({ revision: sha })                        (recursive=false: top-level files are enough)
//       GET  {hub}/api/models/{org}/{name}/tree/{sha}?recursive=false&expand=false
//            → JSON [{ type, path, size, oid, lfs?: { oid, size } }], more pages via `Link: <…>; rel="next"`
//   downloadFile({ revision: sha, path })
//       GET  {hub}/{org}/{name}/resolve/{sha}/{path}  with `Range: bytes=0-0`   (fileDownloadInfo)
//            → 206 + Content-Range (size) + ETag / X-Linked-ETag; the hub may 302 LFS files to a CDN and
//              fetch follows; `Content-Type: application/vnd.xet-fileinfo+json` switches to the Xet protocol
//       GET  {url after redirects}  (WebBlob.stream, the bytes; Authorization: Bearer <token> on every call)
// We write blobs/snapshots/refs ourselves (hub/cache.ts) instead of calling downloadFileToCacheDir:
// that one prints to stdout, reports no progress and asks paths-info again for every file.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { downloadFile, getHFHubCachePath, HUB_URL, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import type { ListFileEntry } from '@huggingface/hub';
import { UserError } from './errors';
import { COMMIT_SHA, findSnapshot, hasBlob, linkSnapshotFile, snapshotDir, snapshotHas, writeBlob, writeRef } from './hub/cache';

export interface ResolveOptions {
  revision?: string;
  /** Default process.env.HF_TOKEN. Never logged or put into messages. */
  token?: string;
  /** Default process.env.HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** Default the standard cache: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Called while a file downloads (at its start, about every MiB, and at its end). */
  onProgress?: (p: { file: string; bytes: number; total?: number }) => void;
}

export interface ResolvedModel {
  dir: string;
  source: 'local' | 'hub';
  repoId?: string;
  /** Commit sha of the snapshot. */
  revision?: string;
}

// What the engine reads from a repo; everything else (README, *.bin, *.pth, *.gguf, onnx/, original/) is skipped.
const METADATA_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
  'chat_template.json',
];
const WEIGHTS_INDEX = 'model.safetensors.index.json';
const WEIGHTS_SINGLE = 'model.safetensors';
const OTHER_WEIGHTS = /\.(bin|pth|pt|ckpt|gguf|onnx|h5|msgpack)$/;

// Hub repo names: letters, digits, '-', '_', '.'; one slash between owner and name.
const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]*[A-Za-z0-9_]$/;
const PROGRESS_STEP = 1 << 20;

export async function resolveModelDir(model: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const local = localFolder(model);
  if (local) return { dir: local, source: 'local' };
  if (looksLikePath(model) || !REPO_ID.test(model)) {
    throw new UserError(`model '${model}' is neither an existing folder nor a Hugging Face repo id like 'org/name'`);
  }

  const revision = opts.revision ?? 'main';
  // A revision names a file under refs/, so it may not climb out of it.
  if (!/^[\w.\/-]+$/.test(revision) || revision.split('/').some((p) => p === '' || p === '..')) {
    throw new UserError(`revision '${revision}' is not a branch, tag or commit sha`);
  }
  const cacheDir = opts.cacheDir ?? getHFHubCachePath();
  const hubUrl = (opts.hubUrl ?? process.env.HF_ENDPOINT ?? HUB_URL).replace(/\/+$/, '');
  const hit = (s: { sha: string; dir: string }): ResolvedModel => ({ dir: s.dir, source: 'hub', repoId: model, revision: s.sha });

  const cached = findSnapshot(cacheDir, model, revision);
  if (cached && isComplete(cached.dir)) return hit(cached);
  if (isOffline()) {
    if (cached && hasWeights(cached.dir)) return hit(cached);
    throw new UserError(
      `HF_HUB_OFFLINE is set and '${model}'${revisionText(revision)} is not in the cache ${cacheDir}; ` +
        `unset HF_HUB_OFFLINE to download it, or pass a local model folder`,
    );
  }

  const token = (opts.token ?? process.env.HF_TOKEN ?? '').trim() || undefined;
  if (token !== undefined && !token.startsWith('hf_')) {
    throw new UserError(`the Hugging Face token (HF_TOKEN) must start with 'hf_'; create one at ${hubUrl}/settings/tokens`);
  }
  try {
    const snap = await download({ repoId: model, revision, cacheDir, hubUrl, token, onProgress: opts.onProgress });
    return hit(snap);
  } catch (e) {
    // Like huggingface_hub: with the hub out of reach, a cached snapshot that has its weights still serves.
    if (isNetworkError(e) && cached && hasWeights(cached.dir)) return hit(cached);
    throw hubError(e, model, revision, hubUrl, token !== undefined);
  }
}

interface DownloadJob {
  repoId: string;
  revision: string;
  cacheDir: string;
  hubUrl: string;
  token: string | undefined;
  onProgress: ResolveOptions['onProgress'];
}

async function download(job: DownloadJob): Promise<{ sha: string; dir: string }> {
  const { repoId, revision, cacheDir } = job;
  const cred = { hubUrl: job.hubUrl, accessToken: job.token };
  const info = await modelInfo({ name: repoId, revision, additionalFields: ['sha'], ...cred });
  const sha = info.sha;
  if (typeof sha !== 'string' || !COMMIT_SHA.test(sha)) {
    throw new Error(`the hub at ${job.hubUrl} gave no commit sha for '${repoId}'${revisionText(revision)}`);
  }
  if (revision !== sha) writeRef(cacheDir, repoId, revision, sha);

  const files = new Map<string, ListFileEntry>();
  for await (const entry of listFiles({ repo: repoId, revision: sha, ...cred })) {
    if (entry.type === 'file' && isPlainName(entry.path)) files.set(entry.path, entry);
  }
  const weights = pickWeights(repoId, files);
  if (!files.has('config.json')) {
    throw new UserError(`'${repoId}'${revisionText(revision)} has no config.json; expected a Hugging Face transformers model repo`);
  }

  const fetchOne = async (name: string): Promise<void> => {
    const entry = files.get(name);
    if (!entry) throw new UserError(`${WEIGHTS_INDEX} of '${repoId}' lists '${name}', which the repo does not have`);
    await fetchFile(job, sha, entry);
  };
  for (const name of [...METADATA_FILES.filter((f) => files.has(f)), ...weights]) await fetchOne(name);
  const dir = snapshotDir(cacheDir, repoId, sha);
  if (weights[0] === WEIGHTS_INDEX) {
    for (const shard of shardNames(path.join(dir, WEIGHTS_INDEX))) await fetchOne(shard);
  }
  return { sha, dir };
}

/** The weight files to fetch first: the shard index (its shards follow), else model.safetensors, else every *.safetensors. */
function pickWeights(repoId: string, files: Map<string, ListFileEntry>): string[] {
  if (files.has(WEIGHTS_INDEX)) return [WEIGHTS_INDEX];
  if (files.has(WEIGHTS_SINGLE)) return [WEIGHTS_SINGLE];
  const any = [...files.keys()].filter((f) => f.endsWith('.safetensors'));
  if (any.length > 0) return any;
  const other = [...files.keys()].filter((f) => OTHER_WEIGHTS.test(f));
  throw new UserError(
    `'${repoId}' has no .safetensors weights` + (other.length ? ` (only ${other.slice(0, 3).join(', ')})` : '') +
      `; pick a repo that ships model.safetensors, or convert the weights to safetensors`,
  );
}

async function fetchFile(job: DownloadJob, sha: string, entry: ListFileEntry): Promise<void> {
  const { repoId, cacheDir } = job;
  if (snapshotHas(cacheDir, repoId, sha, entry.path)) return;
  // huggingface_hub names a blob by its etag: the LFS sha256 for LFS files, the git blob sha1 otherwise.
  const etag = entry.lfs?.oid ?? entry.oid ?? entry.xetHash;
  if (!etag) throw new Error(`the hub listed '${entry.path}' of '${repoId}' without an oid`);
  if (!hasBlob(cacheDir, repoId, etag)) {
    const blob = await downloadFile({ repo: repoId, path: entry.path, revision: sha, hubUrl: job.hubUrl, accessToken: job.token });
    if (!blob) throw new Error(`'${entry.path}' was listed in '${repoId}' but the hub has no such file`);
    const total = entry.lfs?.size ?? entry.size;
    const report = job.onProgress;
    let last = 0;
    report?.({ file: entry.path, bytes: 0, total });
    await writeBlob(cacheDir, repoId, etag, blob.stream(), total, (bytes) => {
      if (report && (bytes - last >= PROGRESS_STEP || bytes === total)) {
        last = bytes;
        report({ file: entry.path, bytes, total });
      }
    });
  }
  await linkSnapshotFile(cacheDir, repoId, sha, entry.path, etag);
}

/** Shard file names from model.safetensors.index.json's weight_map, each a plain top-level name. */
function shardNames(indexFile: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { weight_map?: unknown }).weight_map;
  } catch (e) {
    throw new UserError(`cannot parse '${indexFile}': ${(e as Error).message}`);
  }
  if (!weightMap || typeof weightMap !== 'object') throw new UserError(`'${indexFile}' has no weight_map object`);
  const names = [...new Set(Object.values(weightMap as Record<string, unknown>))];
  for (const n of names) {
    if (typeof n !== 'string' || !isPlainName(n) || !n.endsWith('.safetensors')) {
      throw new UserError(`'${indexFile}' names shard ${JSON.stringify(n)}; expected a .safetensors file name beside it`);
    }
  }
  return names as string[];
}

/** Everything the engine needs is in the snapshot: config, tokenizer and all weights. */
function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json')) && fs.existsSync(path.join(dir, 'tokenizer.json')) && hasWeights(dir);
}

/** config.json plus complete safetensors weights (every shard of the index, or some *.safetensors). */
function hasWeights(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, 'config.json'))) return false;
  const index = path.join(dir, WEIGHTS_INDEX);
  if (fs.existsSync(index)) {
    try {
      return shardNames(index).every((s) => fs.existsSync(path.join(dir, s)));
    } catch {
      return false;
    }
  }
  return fs.readdirSync(dir).some((f) => f.endsWith('.safetensors') && fs.existsSync(path.join(dir, f)));
}

function localFolder(model: string): string | undefined {
  const p = model.startsWith('~/') ? path.join(os.homedir(), model.slice(2)) : model;
  if (!fs.existsSync(p)) return undefined;
  if (!fs.statSync(p).isDirectory()) {
    throw new UserError(`model '${model}' is a file; pass the folder holding config.json and the weights`);
  }
  return path.resolve(p);
}

function looksLikePath(model: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:)/.test(model) || model.includes('\\');
}

function isPlainName(name: string): boolean {
  return /^[^/\\:]+$/.test(name) && name !== '.' && name !== '..';
}

// huggingface_hub's truthy spellings.
function isOffline(): boolean {
  return ['1', 'ON', 'YES', 'TRUE'].includes((process.env.HF_HUB_OFFLINE ?? '').toUpperCase());
}

function revisionText(revision: string): string {
  return revision === 'main' ? '' : ` (revision '${revision}')`;
}

// undici's fetch rejects with TypeError('fetch failed') and the socket error as its cause.
function isNetworkError(e: unknown): boolean {
  return e instanceof TypeError && e.message === 'fetch failed';
}

function hubError(e: unknown, repoId: string, revision: string, hubUrl: string, hadToken: boolean): unknown {
  if (e instanceof UserError) return e;
  if (e instanceof HubApiError) {
    const status = e.statusCode;
    if (status === 401 || status === 403) {
      const fix = hadToken
        ? `the token in HF_TOKEN is invalid or has no access to it: accept the model's terms on ${hubUrl}/${repoId} with the account that owns the token`
        : `for a gated model, accept its terms on ${hubUrl}/${repoId}, then set HF_TOKEN to an access token ` +
          `(in VS Code: "GReaTer: Set Hugging Face Token")`;
      return new UserError(`the Hugging Face Hub refused access to '${repoId}' (${status}: gated, private or misspelled); ${fix}`);
    }
    if (status === 404) {
      return new UserError(`model '${repoId}'${revisionText(revision)} not found on ${hubUrl}; check the id, or pass a local model folder`);
    }
    return new UserError(`the Hugging Face Hub at ${hubUrl} answered ${status} for '${repoId}': ${e.message.split('\n')[0]}`);
  }
  if (isNetworkError(e)) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? 'no connection';
    return new UserError(
      `can't reach the Hugging Face Hub at ${hubUrl} (${why}) to download '${repoId}'; download the model where the ` +
        `hub is reachable (e.g. \`huggingface-cli download ${repoId}\`) and pass its local folder instead`,
    );
  }
  // WebBlob aborts its stream with the error's message (a string), not the error.
  if (typeof e === 'string') return new Error(`downloading '${repoId}' from ${hubUrl} failed: ${e}`);
  return e;
}
