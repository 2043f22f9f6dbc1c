// The ETA inside a step (src/greater/eta.ts): it starts from the step time measured before step 1 and follows the
// step's own progress through its candidates, instead of reading "1 s" for a whole first step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etaSeconds } from '../src/greater/eta';

test('the first step counts down from the measured step time, plus the steps after it', () => {
  assert.equal(etaSeconds({ stepSeconds: 120, elapsedSeconds: 5, stepsAfter: 9 }), 115 + 9 * 120);
  assert.equal(etaSeconds({ stepSeconds: 120, elapsedSeconds: 0, stepsAfter: 0 }), 120);
});

test('a step running longer than expected is projected from its share of candidates done, never stuck at zero', () => {
  // 60 s in, candidate 3 of 5 under way: 20% before selection + 80% × 2/5 = 52% done → 48/52 of 60 s left
  const eta = etaSeconds({ stepSeconds: 10, elapsedSeconds: 60, stepsAfter: 2, candidate: { index: 3, total: 5 } });
  assert.equal(eta, Math.round((60 * 0.48) / 0.52 + 2 * 10));
  const later = etaSeconds({ stepSeconds: 10, elapsedSeconds: 90, stepsAfter: 2, candidate: { index: 5, total: 5 } });
  assert.ok(later > 2 * 10 && later < eta, `${later} s: less left, still more than the steps after`);
});

test('with nothing timed yet, the steps after this one are counted at this step\'s own pace', () => {
  assert.equal(etaSeconds({ stepSeconds: 0, elapsedSeconds: 30, stepsAfter: 4 }), 4 * 30);
  const mid = etaSeconds({ stepSeconds: 0, elapsedSeconds: 30, stepsAfter: 1, candidate: { index: 2, total: 2 } });
  // 60% done after 30 s → 20 s left of this step, 50 s for the next one
  assert.equal(mid, 70);
});
