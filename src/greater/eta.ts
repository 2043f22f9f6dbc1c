// The ETA of a run in the middle of a step: the steps after this one at the typical step time, plus what is left
// of this one. What is left comes from the step time (measured before step 1, then the mean of the finished steps)
// and, while candidates are scored (most of a step), from the share of candidates already done: a step running
// long is projected from its own progress instead of counting down to zero and staying there.

export interface EtaInput {
  /** typical seconds per step; 0 when nothing has been timed */
  stepSeconds: number;
  /** seconds since this step began */
  elapsedSeconds: number;
  /** steps still to run after this one */
  stepsAfter: number;
  /** during selection: this candidate (1-based) of all of them */
  candidate?: { index: number; total: number };
}

/** Share of a step spent before selection (reasoning reused, proposal, gradient): a rough constant for the projection. */
const BEFORE_SELECTION = 0.2;

export function etaSeconds(x: EtaInput): number {
  const left = Math.max(0, x.stepSeconds - x.elapsedSeconds);
  let thisStep = left;
  if (x.candidate && x.candidate.total > 0) {
    const done = BEFORE_SELECTION + (1 - BEFORE_SELECTION) * ((x.candidate.index - 1) / x.candidate.total);
    thisStep = Math.max(left, (x.elapsedSeconds * (1 - done)) / done);
  }
  const perStep = x.stepSeconds > 0 ? x.stepSeconds : x.elapsedSeconds + thisStep;
  return Math.max(0, Math.round(thisStep + x.stepsAfter * perStep));
}
