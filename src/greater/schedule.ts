// Position schedule and prompt growth (ALGORITHM §8 steps 4–5): after each step move right; past the
// last token, wrap to 0 if the token just chosen there contains "." (a finished sentence ends the sweep),
// otherwise append the filler and optimise that new position next. Ids only, never re-tokenised text
// (§13 item 5), so the control cannot shrink under the position.

export interface ScheduleState {
  ctrl: number[];
  pos: number;
}

export interface Advance extends ScheduleState {
  grew: boolean;
  wrapped: boolean;
}

export function advance(s: ScheduleState, isPeriod: (id: number) => boolean, filler: number): Advance {
  const ctrl = s.ctrl.slice();
  const pos = s.pos + 1;
  if (pos < ctrl.length) return { ctrl, pos, grew: false, wrapped: false };
  if (isPeriod(ctrl[ctrl.length - 1])) return { ctrl, pos: 0, grew: false, wrapped: true };
  ctrl.push(filler);
  return { ctrl, pos, grew: true, wrapped: false };
}

/** §7 step 4: the early exit applies from half the initial length on. */
export function periodExitAllowed(pos: number, initLen: number): boolean {
  return pos >= 0.5 * initLen;
}

/** §13 item 5: `sweeps` full sweeps (one step per control position each) without any change → converged. */
export function isConverged(unchangedSteps: number, ctrlLen: number, sweeps: number): boolean {
  return sweeps > 0 && unchangedSteps >= sweeps * ctrlLen;
}

/**
 * Steps in a row whose score did not beat the best before them (scores are losses: lower is better),
 * counted from the start score and the per-step scores, so a checkpoint needs no extra field.
 */
export function stepsSinceBest(startScore: number, stepScores: readonly number[]): number {
  let best = startScore;
  let since = 0;
  for (const s of stepScores) {
    if (s < best) { best = s; since = 0; } else since++;
  }
  return since;
}

/** Plateau rule: `patience` steps without a better score (0 = one sweep of the current control). */
export function isPlateau(sinceBest: number, ctrlLen: number, patience: number): boolean {
  return sinceBest >= (patience > 0 ? patience : ctrlLen);
}
