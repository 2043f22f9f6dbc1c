// One-line progress text from the event stream (CLI live line): step i/N, position, phase, candidate k/K,
// best score, ETA. The state is the run fold of events.ts; this only formats it.
import { emptyRunProgress, foldRunEvents, type RunEvent, type RunProgress } from './events';

/** Events that change the line. */
const SHOWN: ReadonlySet<RunEvent['kind']> = new Set(['run-started', 'phase', 'candidates', 'step']);

export class ProgressLine {
  private state: RunProgress = emptyRunProgress();

  /** Updates from an event; returns true when the line changed. */
  update(e: RunEvent): boolean {
    this.state = foldRunEvents(this.state, e);
    return SHOWN.has(e.kind);
  }

  text(): string {
    const s = this.state;
    const best = s.last ? s.last.bestScore.toFixed(4) : '–';
    const phase = s.stepEnded ? 'done' : s.phase?.phase ?? '';
    const c = !s.stepEnded ? s.phase?.candidate : undefined;
    const candidate = c ? ` ${c.index}/${c.total}` : '';
    return `step ${s.step}/${s.totalSteps ?? 0} pos ${s.position} ${phase}${candidate} best ${best} ETA ${formatSeconds(s.etaSeconds ?? null)}`;
  }
}

export function formatSeconds(s: number | null): string {
  if (s === null) return '–';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
