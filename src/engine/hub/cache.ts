// The Hugging Face hub cache on disk, in the layout Python's huggingface_hub uses, so both share it:
//   <cache>/models--<org>--<name>/refs/<revision>         text: the commit sha the revision points to
//   <cache>/models--<org>--<name>/blobs/<etag>            the bytes; etag = LFS sha256, else git blob sha1
//   <cache>/models--<org>--<name>/snapshots/<sha>/<file>  relative symlink → ../../blobs/<etag>

import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** models--org--name, the folder name huggingface_hub gives a model repo. */
export function repoFolder(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, ['models', ...repoId.split('/')].join('--'));
}

export function snapshotDir(cacheDir: string, repoId: string, sha: string): string {
  return path.join(repoFolder(cacheDir, repoId), 'snapshots', sha);
}

/** The cached snapshot a revision (branch, tag or sha) points to, if its folder exists. */
export function findSnapshot(cacheDir: string, repoId: string, revision: string): { sha: string; dir: string } | undefined {
  const storage = repoFolder(cacheDir, repoId);
  let sha: string | undefined = revision;
  if (!COMMIT_SHA.test(revision)) {
    const ref = path.join(storage, 'refs', revision);
    sha = fs.existsSync(ref) ? fs.readFileSync(ref, 'utf8').trim() : undefined;
  }
  if (!sha || !COMMIT_SHA.test(sha)) return undefined;
  const dir = snapshotDir(cacheDir, repoId, sha);
  return fs.existsSync(dir) ? { sha, dir } : undefined;
}

export function writeRef(cacheDir: string, repoId: string, revision: string, sha: string): void {
  const ref = path.join(repoFolder(cacheDir, repoId), 'refs', revision);
  fs.mkdirSync(path.dirname(ref), { recursive: true });
  fs.writeFileSync(ref, sha);
}

/** True if the snapshot holds the file (a symlink must reach its blob). */
export function snapshotHas(cacheDir: string, repoId: string, sha: string, file: string): boolean {
  return fs.existsSync(path.join(snapshotDir(cacheDir, repoId, sha), file));
}

export function hasBlob(cacheDir: string, repoId: string, etag: string): boolean {
  return fs.existsSync(path.join(repoFolder(cacheDir, repoId), 'blobs', etag));
}

/**
 * Streams bytes into blobs/<etag> through a temp file renamed at the end, so a crash or a second
 * process never leaves a truncated blob under its final name. Checks the byte count.
 */
export async function writeBlob(
  cacheDir: string,
  repoId: string,
  etag: string,
  chunks: AsyncIterable<Uint8Array>,
  expectedSize: number,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const blob = path.join(repoFolder(cacheDir, repoId), 'blobs', etag);
  await fsp.mkdir(path.dirname(blob), { recursive: true });
  const tmp = `${blob}.${process.pid}.incomplete`;
  const fh = await fsp.open(tmp, 'w');
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      await fh.write(chunk);
      bytes += chunk.byteLength;
      onBytes(bytes);
    }
    await fh.close();
    if (bytes !== expectedSize) throw new Error(`received ${bytes} bytes for blob ${etag}, the hub listed ${expectedSize}`);
    await fsp.rename(tmp, blob);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** snapshots/<sha>/<file> → ../../blobs/<etag>; a copy where symlinks are not allowed (Windows without developer mode). */
export async function linkSnapshotFile(cacheDir: string, repoId: string, sha: string, file: string, etag: string): Promise<void> {
  const storage = repoFolder(cacheDir, repoId);
  const blob = path.join(storage, 'blobs', etag);
  const pointer = path.join(snapshotDir(cacheDir, repoId, sha), file);
  await fsp.mkdir(path.dirname(pointer), { recursive: true });
  await fsp.rm(pointer, { force: true }); // a dangling link left by a deleted blob
  try {
    await fsp.symlink(path.relative(path.dirname(pointer), blob), pointer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await fsp.copyFile(blob, pointer);
  }
}
