// Position schedule and selection on scripted scores (ALGORITHM §7, §8): filler "_" growth, wrap after a
// "." token, the early "." exit, and the two acceptance rules (§13 item 3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advance, isPlateau, periodExitAllowed, stepsSinceBest } from '../src/greater/schedule';
import { gluesWords } from '../src/greater/vocab';
import { selectCandidate, type SelectionInput } from '../src/greater/selection';
import type { ControlScore } from '../src/greater/scorer';
import type { Acceptance } from '../src/greater/config';

const PERIOD = 99;
const FILLER = 50;
const isPeriod = (id: number) => id === PERIOD;
const sc = (score: number): ControlScore => ({ mistakes: [score > 0.5 ? 1 : 0], fluency: 0, score, truncated: 0 });

/** Selection where the score of a control is looked up by the token at `pos`; records what was evaluated. */
async function select(ctrl: number[], pos: number, candidates: number[], table: Record<number, number>, acceptance: Acceptance,
  incumbent: number | null, initLen: number, noWorse: boolean) {
  const evaluated: number[] = [];
  const inp: SelectionInput = {
    ctrl, pos, candidates, incumbent: incumbent === null ? null : sc(incumbent), acceptance, periodExitNeedsNoWorse: noWorse,
    periodEligible: (id) => isPeriod(id) && periodExitAllowed(pos, initLen),
    evaluate: async (c) => { evaluated.push(c[pos]); return sc(table[c[pos]]); },
  };
  return { ...(await selectCandidate(inp)), evaluated };
}

test('advance: move right; past the end append the filler unless the last token contains "."', () => {
  assert.deepEqual(advance({ ctrl: [1, 2, 3], pos: 0 }, isPeriod, FILLER), { ctrl: [1, 2, 3], pos: 1, grew: false, wrapped: false });
  assert.deepEqual(advance({ ctrl: [1, 2, 3], pos: 2 }, isPeriod, FILLER), { ctrl: [1, 2, 3, FILLER], pos: 3, grew: true, wrapped: false });
  assert.deepEqual(advance({ ctrl: [1, 2, PERIOD], pos: 2 }, isPeriod, FILLER), { ctrl: [1, 2, PERIOD], pos: 0, grew: false, wrapped: true });
  // A "." in the middle does not end the sweep.
  assert.deepEqual(advance({ ctrl: [1, PERIOD, 3], pos: 1 }, isPeriod, FILLER).pos, 2);
});

test('early "." exit only from half the initial length on', () => {
  assert.equal(periodExitAllowed(1, 4), false);
  assert.equal(periodExitAllowed(2, 4), true);
  assert.equal(periodExitAllowed(2, 5), false);
  assert.equal(periodExitAllowed(3, 5), true);
});

test('scripted run, reference semantics: "." exit is taken although worse, then the sweep wraps', async () => {
  let ctrl = [10, 11];
  // pos 0: best of {20: .5, 21: .3, 22: .4} replaces 10 even though the prompt scored .2 before.
  let s = await select(ctrl, 0, [20, 21, 22], { 20: 0.5, 21: 0.3, 22: 0.4 }, 'always-replace', null, 2, false);
  assert.equal(s.winner, 21);
  ctrl = [21, 11];
  let a = advance({ ctrl, pos: 0 }, isPeriod, FILLER);
  assert.equal(a.pos, 1);
  // pos 1 ≥ 0.5·2: 30 scores .2, then "." (.25, worse) is taken at once and 31 (.1) is never evaluated.
  s = await select(ctrl, 1, [30, PERIOD, 31], { 30: 0.2, [PERIOD]: 0.25, 31: 0.1 }, 'always-replace', null, 2, false);
  assert.equal(s.winner, PERIOD);
  assert.equal(s.earlyExit, true);
  assert.deepEqual(s.evaluated, [30, PERIOD]);
  ctrl = [21, PERIOD];
  a = advance({ ctrl, pos: 1 }, isPeriod, FILLER);
  assert.deepEqual([a.ctrl, a.pos, a.wrapped], [[21, PERIOD], 0, true]);
});

test('scripted run, our default: "." must be no worse, so 31 wins and the prompt grows with the filler', async () => {
  let ctrl = [21, 11];
  let s = await select(ctrl, 1, [30, PERIOD, 31], { 30: 0.2, [PERIOD]: 0.25, 31: 0.1 }, 'keep-best', 0.6, 2, true);
  assert.equal(s.winner, 31);
  assert.deepEqual(s.evaluated, [30, PERIOD, 31]);
  ctrl = [21, 31];
  const a = advance({ ctrl, pos: 1 }, isPeriod, FILLER);
  assert.deepEqual([a.ctrl, a.pos, a.grew], [[21, 31, FILLER], 2, true]);
  // At the filler there is no incumbent: the first acceptable "." ends the sentence, then the sweep wraps.
  s = await select(a.ctrl, 2, [PERIOD, 40], { [PERIOD]: 0.3, 40: 0.2 }, 'keep-best', null, 2, true);
  assert.equal(s.winner, PERIOD);
  assert.deepEqual(s.evaluated, [PERIOD]);
  assert.equal(advance({ ctrl: [21, 31, PERIOD], pos: 2 }, isPeriod, FILLER).pos, 0);
});

test('keep-best keeps the current prompt unless a candidate is strictly better; always-replace takes the last of equals', async () => {
  const ctrl = [10, 11, 12];
  let s = await select(ctrl, 0, [20, 21], { 20: 0.4, 21: 0.3 }, 'keep-best', 0.3, 3, true);
  assert.deepEqual([s.winner, s.kept], [10, true]);
  s = await select(ctrl, 0, [20, 21], { 20: 0.4, 21: 0.29 }, 'keep-best', 0.3, 3, true);
  assert.deepEqual([s.winner, s.kept], [21, false]);
  s = await select(ctrl, 0, [20, 21], { 20: 0.4, 21: 0.4 }, 'always-replace', 0.1, 3, false);
  assert.equal(s.winner, 21, 'the reference keeps the minimum with <=, so the later of two equal scores wins');
  s = await select(ctrl, 0, [20, 21], { 20: 0.4, 21: 0.4 }, 'keep-best', null, 3, true);
  assert.equal(s.winner, 20, 'our default: the better-gradient candidate wins ties');
});

test('successive halving bounds: a pruned candidate (null score) can never win', async () => {
  const evaluated: string[] = [];
  const s = await selectCandidate({
    ctrl: [10, 11], pos: 0, candidates: [20, 21, 22], incumbent: sc(0.3), acceptance: 'keep-best', periodExitNeedsNoWorse: true,
    periodEligible: () => false,
    evaluate: async (c, prune) => {
      evaluated.push(`${c[0]}:${prune ? `${prune.bound}${prune.strict ? 's' : ''}` : '-'}`);
      return c[0] === 21 ? null : sc(c[0] === 20 ? 0.35 : 0.25);
    },
  });
  assert.deepEqual(evaluated, ['20:0.3s', '21:0.3s', '22:0.3s']);
  assert.equal(s.winner, 22);
});

test('plateau: steps since the best improved, counted from the start score; patience 0 means one sweep', () => {
  assert.equal(stepsSinceBest(0.5, []), 0);
  assert.equal(stepsSinceBest(0.5, [0.6, 0.5, 0.7]), 3); // equal is not better
  assert.equal(stepsSinceBest(0.5, [0.6, 0.4, 0.45, 0.4]), 2);
  assert.equal(stepsSinceBest(0.5, [0.6, 0.4, 0.45, 0.39]), 0);
  assert.equal(isPlateau(4, 5, 0), false);
  assert.equal(isPlateau(5, 5, 0), true); // a whole sweep of a 5-token prompt
  assert.equal(isPlateau(3, 5, 3), true);
  assert.equal(isPlateau(2, 5, 3), false);
});

test('glued words: a lowercase letter running into an uppercase one, on either side of the candidate', () => {
  assert.equal(gluesWords(' working', 'Therefore', ' Rounded'), true);
  assert.equal(gluesWords(' exactly', ' Therefore', 'Rounded'), true); // the reverse: the next token glues onto it
  assert.equal(gluesWords(' work', 'ing', ' fast'), false); // a continuation piece is fine
  assert.equal(gluesWords(' exactly', ' Therefore', ' Rounded'), false);
  assert.equal(gluesWords('', 'Therefore', ''), false);
  assert.equal(gluesWords(' step.', 'Then', ''), false);
  assert.equal(gluesWords(' café', 'Über', ''), true);
});
