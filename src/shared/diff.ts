// Word-level diff of two prompts for the result view (LCS over word and whitespace tokens; prompts are
// short, so the O(n·m) table is fine). Pure: used by the webview and unit-tested under node.

export type DiffOp = { op: 'same' | 'add' | 'del'; text: string };

/** Words with their trailing whitespace (leading whitespace alone), so a diff reads word by word. */
export function tokenize(s: string): string[] {
  return s.match(/^\s+|\S+\s*/g) ?? [];
}

export function diffWords(before: string, after: string): DiffOp[] {
  const a = tokenize(before), b = tokenize(after);
  const n = a.length, m = b.length;
  // lcs[i][j] = LCS length of a[i..] and b[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: DiffOp[] = [];
  const push = (op: DiffOp['op'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { push('same', a[i]); i++; j++; }
    // on ties delete first, so a replaced phrase reads "old → new"
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) { push('del', a[i]); i++; }
    else { push('add', b[j]); j++; }
  }
  return out;
}
