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
