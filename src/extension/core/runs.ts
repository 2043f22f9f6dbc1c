// Reads the runs folder (<workspace>/.greater/runs) into summaries for the Runs view: status from the
// last event in events.jsonl plus the workspace lock, best score and prompt from the last step. Tolerates
// a half-written last line (a killed process) and unknown extra fields. Pure (node fs, no vscode).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ACTIVE_LOCK_FILE, RUN_FILES, foldAllRunEvents, type ActiveLock, type RunEvent } from '../../worker/protocol';
import type { HeldOutExample, TopPrompt } from '../../shared/panelMessages';

export type RunStatus = 'running' | 'done' | 'cancelled' | 'failed' | 'interrupted';

export interface RunSummary {
  id: string;
  dir: string;
  status: RunStatus;
  /** ms since epoch: run-started time if recorded, else the folder's mtime */
  updatedAt: number;
  model?: string;
  task?: string;
  initialPrompt?: string;
  step?: number;
  totalSteps?: number;
  bestScore?: number;
  bestPrompt?: string;
  initialAccuracy?: number;
  bestAccuracy?: number;
  error?: string;
  /** a checkpoint exists and the run did not complete */
  resumable: boolean;
}

export function readEvents(runDir: string): RunEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.events), 'utf8');
  } catch {
    return [];
  }
  const out: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as RunEvent;
      if (v && typeof v === 'object' && typeof v.kind === 'string') out.push(v);
    } catch {
      // a line cut short by a kill: everything before it is still good
    }
  }
  return out;
}

export function summarizeRun(runDir: string, lock: ActiveLock | undefined, isAlive: (pid: number) => boolean): RunSummary {
  const id = path.basename(runDir);
  let updatedAt = 0;
  try {
    updatedAt = fs.statSync(runDir).mtimeMs;
  } catch {
    // folder vanished between listing and reading
  }
  const run = foldAllRunEvents(readEvents(runDir));
  const s: RunSummary = {
    id, dir: runDir, status: 'interrupted', updatedAt, resumable: false,
    model: run.model, task: run.task, initialPrompt: run.initialPrompt, totalSteps: run.totalSteps,
    initialAccuracy: run.initialEval?.accuracy, bestAccuracy: run.bestEval?.accuracy,
  };
  if (run.last) {
    Object.assign(s, { step: run.last.step, totalSteps: run.last.totalSteps, bestScore: run.last.bestScore, bestPrompt: run.last.bestPrompt });
  }
  const end = run.done ?? run.error;
  const live = !!lock && (lock.runId === id || (lock.runDir !== undefined && path.resolve(lock.runDir) === path.resolve(runDir))) && isAlive(lock.pid);
  if (live) s.status = 'running';
  else if (end?.kind === 'done') {
    s.status = end.reason === 'cancelled' ? 'cancelled' : 'done';
    s.bestPrompt = end.bestPrompt || s.bestPrompt;
    if (end.initialAccuracy !== undefined) s.initialAccuracy = end.initialAccuracy;
    if (end.bestAccuracy !== undefined) s.bestAccuracy = end.bestAccuracy;
  } else if (end?.kind === 'error') {
    s.status = 'failed';
    s.error = end.message;
  }
  const hasCheckpoint = fs.existsSync(path.join(runDir, RUN_FILES.checkpoint));
  s.resumable = !live && hasCheckpoint && s.status !== 'done';
  return s;
}

/** Every run folder under runsDir, newest first. A missing folder is simply no runs. */
export function listRuns(runsDir: string, isAlive: (pid: number) => boolean): RunSummary[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  let lock: ActiveLock | undefined;
  try {
    lock = JSON.parse(fs.readFileSync(path.join(runsDir, ACTIVE_LOCK_FILE), 'utf8')) as ActiveLock;
  } catch {
    lock = undefined;
  }
  return names
    .map((n) => summarizeRun(path.join(runsDir, n), lock, isAlive))
    .filter((r) => r.status === 'running' || r.model !== undefined || fs.existsSync(path.join(r.dir, RUN_FILES.run)))
    .sort((a, b) => b.updatedAt - a.updatedAt);
}

/** Renders events as the human-readable run log (coloured by syntaxes/greater-run-log.tmLanguage.json). */
export function formatRunLog(events: readonly RunEvent[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return events.map((e) => {
    switch (e.kind) {
      case 'run-started': return `[run] ${e.runId} model=${e.model} task=${e.task} steps=${e.totalSteps}\n[prompt] ${JSON.stringify(e.initialPrompt)}`;
      case 'phase': return `[phase] step ${e.step} ${e.phase}${e.candidate ? ` candidate ${e.candidate.index}/${e.candidate.total}` : ''}`;
      case 'candidates': return `[candidates] step ${e.step} position ${e.position}: ${e.candidates.slice(0, 8).map((c) => `${JSON.stringify(c.token)}=${c.score.toFixed(3)}`).join(' ')}`;
      case 'step': return `[step] ${e.step}/${e.totalSteps} position ${e.position} score=${e.score.toFixed(4)} accuracy=${pct(e.accuracy)} best=${e.bestScore.toFixed(4)}\n[prompt] ${JSON.stringify(e.prompt)}`;
      case 'evaluation': return `[eval] ${e.role} ${e.correct}/${e.total} accuracy=${pct(e.accuracy)} ${JSON.stringify(e.prompt)}`;
      case 'done': return `[done] ${e.reason}${e.bestAccuracy !== undefined ? ` accuracy=${pct(e.initialAccuracy ?? 0)} -> ${pct(e.bestAccuracy)}` : ''}\n[best] ${JSON.stringify(e.bestPrompt)}`;
      case 'error': return `[error] ${e.message}${e.resumable ? ' (resumable)' : ''}`;
      case 'log': return `[${e.level}] ${e.message}`;
    }
  }).join('\n') + '\n';
}

/**
 * Run folders (models' outputs, checkpoints, logs) do not belong in version control: the runs folder gets a
 * `.gitignore` ignoring everything in it, itself included. One the user wrote is left alone.
 */
export function ensureRunsGitignore(runsDir: string): void {
  const file = path.join(runsDir, '.gitignore');
  if (fs.existsSync(file)) return;
  fs.mkdirSync(runsDir, { recursive: true });
  fs.writeFileSync(file, '# written by GReaTer: run folders are not source\n*\n', { flag: 'wx' });
}

/** The Runs view's label for a run: the prompt's place (file:line) when the run came from one, else its id. */
export function runLabel(r: Pick<RunSummary, 'id'>, sourceLabel: string | undefined): { label: string; idNote?: string } {
  return sourceLabel ? { label: sourceLabel, idNote: r.id } : { label: r.id };
}

/**
 * The held-out set example by example, initial vs best prompt, from the run's report.json (none until the run has
 * been evaluated). Unknown or missing fields make it undefined rather than throw: the file is the optimizer's.
 */
export function readHeldOutExamples(runDir: string, max = 500): HeldOutExample[] | undefined {
  interface Ex { index: number; line: number; question: string; gold: string; answer: string | null; correct: boolean; reasoning: string }
  let report: { heldOut?: { initial?: { examples?: Ex[] }; best?: { examples?: Ex[] }[] } | null };
  try {
    report = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.report), 'utf8'));
  } catch {
    return undefined;
  }
  const initial = report.heldOut?.initial?.examples;
  const best = report.heldOut?.best?.[0]?.examples;
  if (!Array.isArray(initial) || !Array.isArray(best)) return undefined;
  const byIndex = new Map(best.map((e) => [e.index, e]));
  const side = (e: Ex | undefined) => (e ? { answer: e.answer, correct: e.correct === true, reasoning: String(e.reasoning ?? '') } : undefined);
  return initial.slice(0, max).map((e) => ({
    line: e.line, question: String(e.question), gold: String(e.gold), initial: side(e)!, best: side(byIndex.get(e.index)),
  }));
}

/** The run's top prompts with what report.json knows of each: training score and accuracy, perplexity, held-out accuracy. */
export function readTopPrompts(runDir: string): { top: TopPrompt[]; initialPerplexity?: number; transferError?: string } | undefined {
  let r: {
    transferError?: unknown;
    best?: { prompt: string; score: number; accuracy: number }[];
    readability?: { initial: number; top: number[] } | null;
    heldOut?: { best?: { prompt: string; accuracy: number }[] } | null;
  };
  try {
    r = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.report), 'utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(r.best)) return undefined;
  const heldOut = new Map((r.heldOut?.best ?? []).map((b) => [b.prompt, b.accuracy]));
  return {
    top: r.best.map((b, i) => ({
      prompt: String(b.prompt), score: Number(b.score), trainAccuracy: Number(b.accuracy),
      ...(typeof r.readability?.top?.[i] === 'number' ? { perplexity: r.readability.top[i] } : {}),
      ...(heldOut.has(b.prompt) ? { heldOutAccuracy: heldOut.get(b.prompt) } : {}),
    })),
    ...(typeof r.readability?.initial === 'number' ? { initialPerplexity: r.readability.initial } : {}),
    ...(typeof r.transferError === 'string' ? { transferError: r.transferError } : {}),
  };
}
