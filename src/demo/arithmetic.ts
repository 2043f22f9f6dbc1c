// The demo task's content: adding two 2–3 digit numbers. A worked answer adds column by column (each step
// is a one-digit fact plus a carry, easy for a tiny model); a rough answer does the same work and then
// rounds the sum to tens, which is right only when the sum ends in 0 (about 10% of questions).
import type { Rng } from '../greater/rng';

export interface Problem {
  a: number;
  b: number;
}

const QUESTION_FORMS: readonly ((a: number, b: number) => string)[] = [
  (a, b) => `What is ${a} + ${b}`,
  (a, b) => `Add ${a} and ${b}`,
  (a, b) => `Find the sum of ${a} and ${b}`,
];

export function sampleProblem(rng: Rng): Problem {
  const operand = () => (rng.next() < 0.5 ? 10 + rng.int(90) : 100 + rng.int(900));
  return { a: operand(), b: operand() };
}

/** Question text without final punctuation: the prompt template adds ". Use …". */
export function questionText(p: Problem, form: number): string {
  return QUESTION_FORMS[form % QUESTION_FORMS.length](p.a, p.b);
}

export const QUESTION_FORM_COUNT = QUESTION_FORMS.length;

/** Nearest ten, halves up (45 → 50, 995 → 1000). */
export function roundToTen(n: number): number {
  return Math.floor((n + 5) / 10) * 10;
}

/** The sum rounded to tens: the rough answer. */
export function roundedSum(p: Problem): number {
  return roundToTen(p.a + p.b);
}

/** "7 + 5 = 12, write 2. 4 + 8 + 1 = 13, write 3. 3 + 2 + 1 = 6, write 6." (a two-digit sum carries 1) */
export function columnSteps(p: Problem): string {
  const da = String(p.a).split('').reverse().map(Number);
  const db = String(p.b).split('').reverse().map(Number);
  const cols = Math.max(da.length, db.length);
  const parts: string[] = [];
  let carry = 0;
  for (let i = 0; i < cols; i++) {
    const x = da[i] ?? 0;
    const y = db[i] ?? 0;
    const s = x + y + carry;
    const lhs = carry ? `${x} + ${y} + ${carry}` : `${x} + ${y}`;
    const last = i === cols - 1;
    parts.push(`${lhs} = ${s}, write ${last ? s : s % 10}.`);
    carry = s >= 10 ? 1 : 0;
  }
  return parts.join(' ');
}

/** "Rounded to tens, that is about 630." */
export function roundingLine(p: Problem): string {
  return `Rounded to tens, that is about ${roundedSum(p)}.`;
}
