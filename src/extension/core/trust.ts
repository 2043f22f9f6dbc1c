// What the extension accepts from places it does not control: the webview's saved state (restored after a
// reload, so anything a compromised or stale webview wrote), command arguments, and the runs-folder setting.
// Paths must stay inside the workspace, run folders inside the runs folder. VS Code-free, so it is unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../../worker/protocol';

/** True when `child` is `parent` or lies below it (no `..` escape, same root). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The runs folder from the setting, which is documented as relative to the workspace: an absolute path or one
 * that climbs out of the workspace falls back to the default, with the reason for the log.
 */
export function resolveRunsFolder(workspace: string, setting: string | undefined, fallback = '.greater/runs'): { dir: string; warning?: string } {
  const rel = setting && setting.trim() !== '' ? setting : fallback;
  const dir = path.resolve(workspace, rel);
  if (path.isAbsolute(rel) || !isInside(workspace, dir)) {
    return { dir: path.resolve(workspace, fallback), warning: `greater.runsFolder '${rel}' is not a folder inside the workspace; using '${fallback}'` };
  }
  return { dir };
}

/** A run folder the extension may show, resume or delete: inside the runs folder, holding a run.json. */
export function isRunFolder(runsDir: string, dir: string): boolean {
  return isInside(runsDir, dir) && path.resolve(dir) !== path.resolve(runsDir) && fs.existsSync(path.join(dir, RUN_FILES.run));
}

export interface RestoredSession<S> {
  source?: S;
  runId?: string;
  runDir?: string;
}

/**
 * Keeps only what a restored panel may act on: a prompt source whose file is in the workspace (Apply edits it),
 * and a run folder inside the runs folder (Resume drives it). Everything dropped is named for the log.
 */
export function sanitizeSession<S extends { uri: string }>(
  raw: unknown, ctx: { inWorkspace: (uri: string) => boolean; runsDir: string | undefined },
): { session: RestoredSession<S>; dropped: string[] } {
  const dropped: string[] = [];
  const session: RestoredSession<S> = {};
  if (!raw || typeof raw !== 'object') return { session, dropped };
  const r = raw as Record<string, unknown>;
  const src = r.source as S | undefined;
  if (src && typeof src === 'object' && typeof src.uri === 'string') {
    if (ctx.inWorkspace(src.uri)) session.source = src;
    else dropped.push(`prompt source ${src.uri} (not a file in this workspace)`);
  }
  if (typeof r.runDir === 'string') {
    if (ctx.runsDir && isRunFolder(ctx.runsDir, r.runDir)) {
      session.runDir = path.resolve(r.runDir);
      session.runId = path.basename(session.runDir);
    } else dropped.push(`run folder ${r.runDir} (not a run inside the runs folder)`);
  }
  return { session, dropped };
}
