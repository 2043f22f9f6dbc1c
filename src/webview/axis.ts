// The chart's score axis, pure (no DOM) so it can be tested: a loss, lower is better; tiny changes stay tiny.

/** The score axis [low, high]: the scores' range, widened about its middle to at least a tenth of their size. */
export function scoreAxis(scores: readonly number[]): [number, number] {
  const lo = Math.min(...scores), hi = Math.max(...scores);
  const minSpan = Math.max(0.1 * Math.max(Math.abs(lo), Math.abs(hi)), 1e-6);
  if (hi - lo >= minSpan) return [lo, hi];
  const mid = (lo + hi) / 2;
  let a = mid - minSpan / 2;
  // a loss is never negative: do not draw the axis below zero for non-negative scores
  if (lo >= 0 && a < 0) a = 0;
  return [a, a + minSpan];
}
