// Before Apply writes into the user's file: is the literal the run started from still where we left it?
// Exact match at the old offsets → apply there; moved (edits above it) but still unique → apply at the
// new place; changed or ambiguous → refuse, and the caller shows a diff instead. Pure (no vscode).

export type ApplyTarget =
  | { ok: true; start: number; end: number; moved: boolean }
  | { ok: false; reason: string };

export function locateOriginal(docText: string, start: number, end: number, original: string): ApplyTarget {
  if (docText.slice(start, end) === original) return { ok: true, start, end, moved: false };
  const first = docText.indexOf(original);
  if (first >= 0 && docText.indexOf(original, first + 1) < 0) {
    return { ok: true, start: first, end: first + original.length, moved: true };
  }
  const line = docText.slice(0, Math.min(start, docText.length)).split('\n').length;
  return {
    ok: false,
    reason: first < 0
      ? `the prompt at line ${line} changed since the run started`
      : `the original prompt now occurs more than once in the file`,
  };
}
