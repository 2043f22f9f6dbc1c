// A stand-in for the Hugging Face Hub on 127.0.0.1, serving the endpoints @huggingface/hub calls for a
// download (listed at the top of src/engine/hub.ts) with the headers, ids and status codes the real hub
// uses: git blob sha1 oids, LFS sha256 oids, 302 from /resolve to a CDN path for LFS files, Range
// requests, `Link` pagination of the tree, 401/403 for gated repos and X-Error-Code on 404s.

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export interface FakeRepo {
  id: string; // "org/name"
  files: Record<string, string | Uint8Array>;
  /** Gated: /resolve needs `Authorization: Bearer <gatedToken>` (401 without a token, 403 with another). */
  gatedToken?: string;
}

export interface HubServer {
  url: string;
  /** "METHOD /path" of every request, in order. */
  requests: string[];
  /** Commit sha the fake gives a repo's main branch. */
  shaOf(repoId: string): string;
  close(): Promise<void>;
}

interface StoredFile {
  path: string;
  bytes: Buffer;
  oid: string; // git blob sha1, what the tree API calls oid
  lfs?: { oid: string; size: number; pointerSize: number }; // sha256 of the content
}

interface StoredRepo {
  repo: FakeRepo;
  sha: string;
  files: Map<string, StoredFile>;
}

const isLfs = (p: string) => /\.(safetensors|bin|onnx)$/.test(p);

function storeRepo(repo: FakeRepo): StoredRepo {
  const files = new Map<string, StoredFile>();
  const commit = createHash('sha1').update(`commit ${repo.id}\n`);
  for (const [p, content] of Object.entries(repo.files)) {
    const bytes = Buffer.from(content);
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const f: StoredFile = { path: p, bytes, oid };
    if (isLfs(p)) f.lfs = { oid: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, pointerSize: 134 };
    files.set(p, f);
    commit.update(`${p} ${oid}\n`);
  }
  return { repo, sha: commit.digest('hex'), files };
}

export async function startHubServer(repos: FakeRepo[], opts: { treePageSize?: number } = {}): Promise<HubServer> {
  const stored = new Map(repos.map((r) => [r.id, storeRepo(r)]));
  const pageSize = opts.treePageSize ?? 1000;
  const requests: string[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}`);
    try {
      route(req, res, url);
    } catch (e) {
      sendJson(res, 500, { error: String(e) });
    }
  });

  function route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models') {
      const s = stored.get(`${parts[2]}/${parts[3]}`);
      if (!s) return sendJson(res, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      const rev = parts[5];
      if (rev !== 'main' && rev !== 'HEAD' && rev !== s.sha) {
        return sendJson(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      }
      // GET /api/models/{org}/{name}/revision/{rev}
      if (parts[4] === 'revision' && req.method === 'GET') return sendJson(res, 200, modelInfo(s));
      // GET /api/models/{org}/{name}/tree/{rev}[/{folder}]?recursive=&expand=
      if (parts[4] === 'tree' && req.method === 'GET') return sendTree(res, url, s, parts.slice(6).join('/'));
    }
    if (parts[0] === 'cdn' && parts.length === 2) {
      // GET /cdn/{sha256}: where /resolve redirects LFS files (S3/CloudFront on the real hub)
      const f = [...stored.values()].flatMap((s) => [...s.files.values()]).find((x) => x.lfs?.oid === parts[1]);
      if (!f) return sendJson(res, 404, { error: 'not found' });
      return sendBytes(req, res, f.bytes, { ETag: `"${f.lfs!.oid}"` });
    }
    if (parts[2] === 'resolve' && parts.length >= 5) {
      // GET|HEAD /{org}/{name}/resolve/{rev}/{path}
      const s = stored.get(`${parts[0]}/${parts[1]}`);
      if (!s) return sendJson(res, 401, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      const gate = s.repo.gatedToken;
      if (gate !== undefined) {
        const auth = req.headers.authorization;
        if (!auth) {
          return sendJson(res, 401, { error: `Access to model ${s.repo.id} is restricted. You must be authenticated to access it.` }, { 'X-Error-Code': 'GatedRepo' });
        }
        if (auth !== `Bearer ${gate}`) {
          return sendJson(res, 403, { error: `Access to model ${s.repo.id} is restricted and you are not in the authorized list.` }, { 'X-Error-Code': 'GatedRepo' });
        }
      }
      if (parts[3] !== 'main' && parts[3] !== s.sha) {
        return sendJson(res, 404, { error: 'Revision Not Found' }, { 'X-Error-Code': 'RevisionNotFound' });
      }
      const f = s.files.get(parts.slice(4).join('/'));
      if (!f) return sendJson(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      const common = { 'X-Repo-Commit': s.sha };
      if (f.lfs) {
        res.writeHead(302, {
          ...common,
          Location: `/cdn/${f.lfs.oid}?expires=9999999999`,
          'X-Linked-ETag': `"${f.lfs.oid}"`,
          'X-Linked-Size': String(f.lfs.size),
          ETag: `"${f.oid}"`,
        });
        return void res.end();
      }
      return sendBytes(req, res, f.bytes, { ...common, ETag: `"${f.oid}"` });
    }
    sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
  }

  function modelInfo(s: StoredRepo): unknown {
    return {
      _id: s.sha.slice(0, 24),
      id: s.repo.id,
      modelId: s.repo.id,
      sha: s.sha,
      private: false,
      gated: s.repo.gatedToken === undefined ? false : 'manual',
      disabled: false,
      downloads: 0,
      likes: 0,
      lastModified: '2026-01-01T00:00:00.000Z',
      pipeline_tag: 'text-generation',
      tags: [],
      siblings: [...s.files.keys()].map((rfilename) => ({ rfilename })),
    };
  }

  function sendTree(res: http.ServerResponse, url: URL, s: StoredRepo, folder: string): void {
    const recursive = url.searchParams.get('recursive') === 'true';
    const prefix = folder ? `${folder}/` : '';
    const entries: unknown[] = [];
    const dirs = new Set<string>();
    for (const f of s.files.values()) {
      if (!f.path.startsWith(prefix)) continue;
      const rest = f.path.slice(prefix.length);
      if (!recursive && rest.includes('/')) {
        dirs.add(prefix + rest.split('/')[0]);
        continue;
      }
      entries.push({ type: 'file', oid: f.oid, size: f.bytes.length, path: f.path, ...(f.lfs ? { lfs: f.lfs } : {}) });
    }
    for (const d of dirs) entries.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const page = entries.slice(start, start + pageSize);
    const headers: Record<string, string> = {};
    if (start + pageSize < entries.length) {
      const next = new URL(url.toString());
      next.searchParams.set('cursor', String(start + pageSize));
      headers.Link = `<${base}${next.pathname}${next.search}>; rel="next"`;
    }
    sendJson(res, 200, page, headers);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    shaOf: (id) => {
      const s = stored.get(id);
      if (!s) throw new Error(`no fake repo ${id}`);
      return s.sha;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** 200 with the whole file, or 206 for `Range: bytes=a-b` / `bytes=a-`; HEAD gets the headers only. */
function sendBytes(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer, headers: Record<string, string>): void {
  const common = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    const end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
    if (start >= bytes.length || end < start) {
      res.writeHead(416, { ...common, 'Content-Range': `bytes */${bytes.length}` });
      return void res.end();
    }
    const body = bytes.subarray(start, end + 1);
    res.writeHead(206, { ...common, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': body.length });
    return void res.end(req.method === 'HEAD' ? undefined : body);
  }
  res.writeHead(200, { ...common, 'Content-Length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
