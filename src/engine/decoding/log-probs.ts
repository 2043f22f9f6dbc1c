// Host-side reductions over a logits row: the greedy pick and log-softmax.
import { FloatArray } from '../model/rope';

export function argmax(a: ArrayLike<number>, offset: number, n: number): number {
  let best = offset;
  for (let i = offset + 1; i < offset + n; i++) if (a[i] > a[best]) best = i;
  return best - offset;
}

export function logSumExp(a: ArrayLike<number>, o: number, n: number): number {
  let m = -Infinity;
  for (let i = o; i < o + n; i++) if (a[i] > m) m = a[i];
  let s = 0;
  for (let i = o; i < o + n; i++) s += Math.exp(a[i] - m);
  return m + Math.log(s);
}

export function logSoftmaxInPlace(a: FloatArray, o: number, n: number): void {
  const lse = logSumExp(a, o, n);
  for (let i = o; i < o + n; i++) a[i] -= lse;
}
