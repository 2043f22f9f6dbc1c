// Global top-k prompts by selection score (§13 item 14: the reference returned the last control and
// printed a top-10 only every 15 steps). One entry per distinct control; lower score first, then earlier step.
import { ctrlKey, type TopEntry } from './state';

export function addTop(top: readonly TopEntry[], e: TopEntry, k: number): TopEntry[] {
  const key = ctrlKey(e.ctrl);
  const existing = top.find((t) => ctrlKey(t.ctrl) === key);
  if (existing && existing.score <= e.score) return top.slice();
  const rest = top.filter((t) => ctrlKey(t.ctrl) !== key);
  return [...rest, e].sort((a, b) => a.score - b.score || a.step - b.step).slice(0, k);
}
