// Selection among the gradient's top candidates (ALGORITHM §7; §13 item 3). Two acceptance rules:
//   keep-best       the current prompt competes with its known score; a candidate must be strictly better
//                   (earlier = better-gradient candidates win ties). A freshly appended filler is a
//                   placeholder, not an incumbent, so something always replaces it.
//   always-replace  the reference: the best of the evaluated candidates replaces the current token even
//                   if worse; ties go to the later candidate ("<=").
// Early "." exit (§7 step 4): a candidate containing "." at pos ≥ initLen/2 is taken at once and ends the
// evaluation; our default also requires it to be no worse than the best so far.
import type { Acceptance } from './config';
import type { ControlScore } from './scorer';

/** Prune rule for successive halving: give up on a candidate whose lower bound exceeds `bound`
 *  (or reaches it, when `strict` — the candidate would need to be strictly better). */
export interface PruneBound {
  bound: number;
  strict: boolean;
}

export interface SelectionInput {
  ctrl: readonly number[];
  pos: number;
  /** Candidates to evaluate, in gradient order. */
  candidates: readonly number[];
  /** Score of the current control (keep-best), or null when there is none to keep. */
  incumbent: ControlScore | null;
  acceptance: Acceptance;
  periodExitNeedsNoWorse: boolean;
  /** Whether a candidate triggers the early "." exit at this position. */
  periodEligible(id: number): boolean;
  /** Full score of a control, or null if `prune` allowed giving up early. */
  evaluate(ctrl: number[], prune: PruneBound | null, index: number): Promise<ControlScore | null>;
}

export interface CandidateOutcome {
  id: number;
  score: ControlScore | null;
}

export interface SelectionResult {
  winner: number;
  score: ControlScore;
  /** The current token stayed (keep-best found nothing better). */
  kept: boolean;
  earlyExit: boolean;
  outcomes: CandidateOutcome[];
}

export async function selectCandidate(inp: SelectionInput): Promise<SelectionResult> {
  const current = inp.ctrl[inp.pos];
  const keepBest = inp.acceptance === 'keep-best';
  let best: { id: number; score: ControlScore } | null = keepBest && inp.incumbent ? { id: current, score: inp.incumbent } : null;
  const outcomes: CandidateOutcome[] = [];
  for (let k = 0; k < inp.candidates.length; k++) {
    const id = inp.candidates[k];
    const ctrl = inp.ctrl.slice();
    ctrl[inp.pos] = id;
    const eligible = inp.periodEligible(id);
    let prune: PruneBound | null = null;
    if (best) {
      if (eligible) prune = inp.periodExitNeedsNoWorse ? { bound: best.score.score, strict: false } : null;
      else prune = { bound: best.score.score, strict: keepBest };
    }
    const score = await inp.evaluate(ctrl, prune, k);
    outcomes.push({ id, score });
    if (!score) continue;
    if (eligible && (!inp.periodExitNeedsNoWorse || !best || score.score <= best.score.score)) {
      return { winner: id, score, kept: id === current, earlyExit: true, outcomes };
    }
    const better = !best || (keepBest ? score.score < best.score.score : score.score <= best.score.score);
    if (better) best = { id, score };
  }
  if (!best) throw new Error('selection evaluated no candidate');
  return { winner: best.id, score: best.score, kept: best.id === current, earlyExit: false, outcomes };
}
