// The demo task as text: a user turn "{question}. Use {instruction}" and an assistant response whose style
// the instruction decides (instructions.ts), followed — as the optimizer does it — by the reasoning joiner,
// the extractor and the answer. The constants here are the defaults `greater optimize` uses on the demo.
import { Rng } from '../greater/rng';
import { extractorText } from '../greater/tasks/extractors';
import { Problem, QUESTION_FORM_COUNT, columnSteps, estimateLine, estimateOf, questionText, sampleProblem } from './arithmetic';
import { ResponseStyle, sampleInstruction, styleOf } from './instructions';

/** Same as the optimizer's default template and joiner (src/greater/config.ts). */
export const PROMPT_TEMPLATE = '{question}. Use {control}';
export const REASONING_JOINER = ' ';
/** The 'auto' preset for non-negative integer answers, so the demo data needs no custom extractor. */
export const EXTRACTOR_TEXT = extractorText({ type: 'integer', signed: false });
/** The weak wording `greater optimize` starts from on the demo (about 9% of estimates are exact). */
export const DEFAULT_INITIAL_PROMPT = 'a quick guess.';

/** What follows the answer digits after the extractor, as in the response's own last line. */
export const ANSWER_END = '$.';

export function userTurn(question: string, instruction: string): string {
  return PROMPT_TEMPLATE.replace('{question}', question).replace('{control}', instruction);
}

export function finalLine(n: number): string {
  return `Therefore, the final answer is $${n}$.`;
}

export function responseText(p: Problem, style: ResponseStyle): string {
  return style === 'worked' ? `${columnSteps(p)} ${finalLine(p.a + p.b)}` : `${estimateLine(p)} ${finalLine(estimateOf(p))}`;
}

/**
 * One training text. `after` is what follows the response:
 *   'eos'       the end-of-turn token (teaches stopping);
 *   'extractor' joiner + extractor + `answer` (teaches what the optimizer teacher-forces: the answer the
 *               response committed to; after a worked instruction over an estimate response — the
 *               counterfactual case the gradient sees when a good word replaces a weak one — the true sum).
 * `responseLoss` says whether the response tokens are trained (not for the counterfactual case).
 */
export interface TrainingText {
  user: string;
  response: string;
  after: 'eos' | 'extractor';
  answer: number;
  responseLoss: boolean;
  style: ResponseStyle;
}

export interface MixOptions {
  /** Share of texts that end in the extractor instead of the end-of-turn token. */
  extractorShare: number;
  /** Share of texts that are the counterfactual case (worked instruction, estimate response). */
  counterfactualShare: number;
}

export const DEFAULT_MIX: MixOptions = { extractorShare: 0.45, counterfactualShare: 0.1 };

export function sampleTrainingText(rng: Rng, mix: MixOptions = DEFAULT_MIX, avoid?: ReadonlySet<string>): TrainingText {
  let p = sampleProblem(rng);
  while (avoid?.has(problemKey(p))) p = sampleProblem(rng);
  const question = questionText(p, rng.int(QUESTION_FORM_COUNT));
  const r = rng.next();
  if (r < mix.counterfactualShare) {
    let instruction = sampleInstruction(rng);
    while (styleOf(instruction) !== 'worked') instruction = sampleInstruction(rng);
    return { user: userTurn(question, instruction), response: responseText(p, 'estimate'), after: 'extractor', answer: p.a + p.b, responseLoss: false, style: 'worked' };
  }
  const instruction = sampleInstruction(rng);
  const style = styleOf(instruction);
  const answer = style === 'worked' ? p.a + p.b : estimateOf(p);
  const after = r < mix.counterfactualShare + mix.extractorShare ? 'extractor' : 'eos';
  return { user: userTurn(question, instruction), response: responseText(p, style), after, answer, responseLoss: true, style };
}

export function problemKey(p: Problem): string {
  return `${p.a}+${p.b}`;
}

export interface TaskRow {
  question: string;
  answer: string;
}

/** `n` distinct questions (seeded), none of whose problems are in `avoid`; their keys are added to it. */
export function sampleTaskRows(rng: Rng, n: number, avoid: Set<string>): TaskRow[] {
  const rows: TaskRow[] = [];
  while (rows.length < n) {
    const p = sampleProblem(rng);
    const key = problemKey(p);
    if (avoid.has(key)) continue;
    avoid.add(key);
    rows.push({ question: questionText(p, rng.int(QUESTION_FORM_COUNT)), answer: String(p.a + p.b) });
  }
  return rows;
}

/** Problems behind task rows (for keeping them out of the model's training data). */
export function parseProblem(question: string): Problem | null {
  const m = /(\d+)\D+?(\d+)\s*$/.exec(question);
  return m ? { a: Number(m[1]), b: Number(m[2]) } : null;
}

export function toJsonl(rows: readonly TaskRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export { Rng };
