// One-line progress text from the event stream (CLI live line): step i/N, position, phase, candidate k/K,
// best score, ETA. Pure: keeps the last values seen and formats them.
import type { RunEvent } from '../worker/protocol';

export class ProgressLine {
  private step = 0;
  private total = 0;
  private position = 0;
  private phase = '';
  private candidate = '';
  private best: number | null = null;
  private eta: number | null = null;

  /** Updates from an event; returns true when the line changed. */
  update(e: RunEvent): boolean {
    switch (e.kind) {
      case 'run-started': this.total = e.totalSteps; return true;
      case 'phase':
        this.step = e.step;
        this.phase = e.phase;
        this.candidate = e.candidate ? ` ${e.candidate.index}/${e.candidate.total}` : '';
        if (e.etaSeconds !== undefined) this.eta = e.etaSeconds;
        return true;
      case 'candidates': this.position = e.position; return true;
      case 'step':
        this.step = e.step;
        this.best = e.bestScore;
        this.eta = e.etaSeconds;
        this.phase = 'done';
        this.candidate = '';
        return true;
      default: return false;
    }
  }

  text(): string {
    const best = this.best === null ? '–' : this.best.toFixed(4);
    return `step ${this.step}/${this.total} pos ${this.position} ${this.phase}${this.candidate} best ${best} ETA ${formatSeconds(this.eta)}`;
  }
}

export function formatSeconds(s: number | null): string {
  if (s === null) return '–';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
