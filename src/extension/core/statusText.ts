// The status bar's words for the active run: the step under way (from the latest phase event, so the first step
// shows as soon as it begins rather than "starting" until it ends), its phase, the best score so far and the ETA.
import { formatDuration } from '../../shared/estimate';
import type { RunEventOf } from '../../worker/protocol';

export interface RunStatusInput {
  totalSteps?: number;
  lastStep?: RunEventOf<'step'>;
  lastPhase?: RunEventOf<'phase'>;
  cancelling: boolean;
}

export function runStatusText(r: RunStatusInput): string {
  const total = r.lastStep?.totalSteps ?? r.totalSteps;
  const phase = r.lastPhase && (!r.lastStep || r.lastPhase.step > r.lastStep.step || r.lastPhase.phase === 'evaluation') ? r.lastPhase : undefined;
  const step = phase?.step ?? r.lastStep?.step;
  const parts: string[] = [step === undefined || step === 0 ? 'loading the model' : `step ${step}/${total ?? '?'}`];
  if (r.cancelling) parts.push(phase?.phase === 'evaluation' ? 'stopping: held-out check' : 'stopping');
  else if (phase) parts.push(phase.candidate ? `${phase.phase} ${phase.candidate.index}/${phase.candidate.total}` : phase.phase);
  if (r.lastStep) parts.push(`best ${r.lastStep.bestScore.toFixed(3)}`);
  const eta = phase?.etaSeconds ?? r.lastStep?.etaSeconds;
  if (eta !== undefined && !r.cancelling) parts.push(`ETA ${formatDuration(eta)}`);
  return parts.filter(Boolean).join(' · ');
}
