// History per code location (issue 15 scope 7): which prompt literal each run came from, followed through edits,
// and what was applied there. One index file in the runs folder (<runs>/history.json), written only by the
// extension: run.json stays the optimizer's. From it and the run summaries, the Runs view's groups and each
// location's lineage (initial → runs → applied → later runs). Pure (node fs, no vscode).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from './runs';

export const HISTORY_FILE = 'history.json';

/** A prompt literal in a file, kept in step with edits (offsets of the whole literal, 1-based line). */
export interface CodeLocation {
  id: string;
  uri: string;
  /** "prompts.ts" */
  file: string;
  line: number;
  start: number;
  end: number;
}

export interface HistoryIndex {
  version: 1;
  locations: Record<string, CodeLocation>;
  /** run id → where it came from, and when it started (ms since epoch) */
  runs: Record<string, { location: string; at: number }>;
  /** prompts written into a location by Apply or Restore, oldest first */
  applied: { location: string; prompt: string; at: number; how: 'apply' | 'restore' }[];
}

export function emptyIndex(): HistoryIndex {
  return { version: 1, locations: {}, runs: {}, applied: [] };
}

/** The index in runsDir; a missing or unreadable one is empty (the history is a convenience, never a blocker). */
export function readIndex(runsDir: string): HistoryIndex {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(runsDir, HISTORY_FILE), 'utf8')) as Partial<HistoryIndex>;
    if (v?.version !== 1 || typeof v.locations !== 'object' || typeof v.runs !== 'object' || !Array.isArray(v.applied)) return emptyIndex();
    return { version: 1, locations: v.locations ?? {}, runs: v.runs ?? {}, applied: v.applied };
  } catch {
    return emptyIndex();
  }
}

/** Written beside and renamed into place, so a reader never sees half a file. */
export function writeIndex(runsDir: string, index: HistoryIndex): void {
  fs.mkdirSync(runsDir, { recursive: true });
  const file = path.join(runsDir, HISTORY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(index, null, 1));
  fs.renameSync(tmp, file);
}

/** The location holding offset `start` of `uri` now, or a new one for that literal. */
export function locationFor(index: HistoryIndex, at: { uri: string; file: string; line: number; start: number; end: number }): CodeLocation {
  const found = Object.values(index.locations).find((l) => l.uri === at.uri && l.start <= at.start && at.start <= l.end);
  if (found) return found;
  const loc: CodeLocation = { id: crypto.randomUUID(), ...at };
  index.locations[loc.id] = loc;
  return loc;
}

/** One edit of a document (VS Code's content change: offsets in the text before the edit). */
export interface TextChange {
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

/**
 * A location after edits: one wholly above it moves it, one inside (Apply, Restore, typing in the prompt)
 * stretches its end. One that swallows the literal whole leaves it where the replacement starts. Returns
 * whether it moved or changed size.
 */
export function followEdits(loc: CodeLocation, changes: readonly TextChange[]): boolean {
  let { start, end } = loc;
  for (const c of changes) {
    const delta = c.text.length - c.rangeLength;
    const cEnd = c.rangeOffset + c.rangeLength;
    if (cEnd <= start) {
      start += delta;
      end += delta;
    } else if (c.rangeOffset < end) {
      if (c.rangeOffset < start) start = c.rangeOffset;
      end = Math.max(start, end + delta);
    }
  }
  if (start === loc.start && end === loc.end) return false;
  loc.start = start;
  loc.end = end;
  return true;
}

export const NO_LOCATION = 'no-location';

/** One entry of a location's lineage: a run, or a prompt version that can be diffed or restored. */
export type LineageEntry =
  | { kind: 'run'; run: RunSummary; at: number }
  | { kind: 'version'; role: 'initial' | 'best' | 'applied' | 'restored'; prompt: string; accuracy?: number; runId?: string; at: number };

export interface HistoryGroup {
  /** a location id, or NO_LOCATION */
  id: string;
  location?: CodeLocation;
  runs: RunSummary[];
  /** oldest first */
  lineage: LineageEntry[];
}

/** The held-out accuracy a prompt scored in any run of the group (the newest such run), if it was checked. */
function accuracyOf(prompt: string, runs: readonly RunSummary[]): number | undefined {
  for (const r of runs) {
    if (r.bestPrompt === prompt && r.bestAccuracy !== undefined) return r.bestAccuracy;
    if (r.initialPrompt === prompt && r.initialAccuracy !== undefined) return r.initialAccuracy;
  }
  return undefined;
}

/**
 * Runs grouped by code location (groups with the newest run first), each with its lineage: the first run's
 * starting prompt, then every run with its best prompt, and the prompts applied in between. Runs with no
 * location (CLI runs, palette runs on a typed prompt) go in the NO_LOCATION group, last.
 */
export function groupRuns(runs: readonly RunSummary[], index: HistoryIndex): HistoryGroup[] {
  const startedAt = (r: RunSummary) => index.runs[r.id]?.at ?? r.updatedAt;
  const byId = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const loc = index.runs[r.id]?.location;
    const id = loc && index.locations[loc] ? loc : NO_LOCATION;
    byId.set(id, [...(byId.get(id) ?? []), r]);
  }
  const groups: HistoryGroup[] = [];
  for (const [id, rs] of byId) {
    const newestFirst = [...rs].sort((a, b) => startedAt(b) - startedAt(a));
    const lineage: LineageEntry[] = [];
    if (id !== NO_LOCATION) {
      const oldest = newestFirst[newestFirst.length - 1];
      if (oldest.initialPrompt !== undefined) {
        lineage.push({ kind: 'version', role: 'initial', prompt: oldest.initialPrompt, accuracy: oldest.initialAccuracy, runId: oldest.id, at: startedAt(oldest) - 1 });
      }
      for (const a of index.applied.filter((x) => x.location === id)) {
        lineage.push({ kind: 'version', role: a.how === 'restore' ? 'restored' : 'applied', prompt: a.prompt, accuracy: accuracyOf(a.prompt, newestFirst), at: a.at });
      }
    }
    for (const r of newestFirst) lineage.push({ kind: 'run', run: r, at: startedAt(r) });
    lineage.sort((a, b) => a.at - b.at);
    groups.push({ id, location: index.locations[id], runs: newestFirst, lineage });
  }
  const newest = (g: HistoryGroup) => (g.id === NO_LOCATION ? -Infinity : startedAt(g.runs[0]));
  return groups.sort((a, b) => newest(b) - newest(a));
}

/** The versions a run holds: what it started from and the best it found (once it has one). */
export function runVersions(r: RunSummary, at: number): LineageEntry[] {
  const out: LineageEntry[] = [];
  if (r.initialPrompt !== undefined) out.push({ kind: 'version', role: 'initial', prompt: r.initialPrompt, accuracy: r.initialAccuracy, runId: r.id, at });
  if (r.bestPrompt !== undefined) out.push({ kind: 'version', role: 'best', prompt: r.bestPrompt, accuracy: r.bestAccuracy, runId: r.id, at });
  return out;
}

/** "prompts.ts:14" */
export function locationLabel(l: Pick<CodeLocation, 'file' | 'line'>): string {
  return `${l.file}:${l.line}`;
}
