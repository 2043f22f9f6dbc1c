// The demo task as text: a user turn "{question}. Use {instruction}" and an assistant response whose style
// the instruction decides (instructions.ts), followed — as the optimizer does it — by the reasoning joiner,
// the extractor and the answer. The constants here are the defaults `greater optimize` uses on the demo.
import { Rng } from '../greater/rng';
import { extractorText } from '../greater/tasks/extractors';
import { Problem, QUESTION_FORM_COUNT, columnSteps, questionText, roundedSum, roundingLine, sampleProblem } from './arithmetic';
import { ResponseStyle, sampleInstruction, styleOf } from './instructions';

/** Same as the optimizer's default template and joiner (src/greater/config.ts). */
export const PROMPT_TEMPLATE = '{question}. Use {control}';
export const REASONING_JOINER = ' ';
/** The 'auto' preset for non-negative integer answers, so the demo data needs no custom extractor. */
export const EXTRACTOR_TEXT = extractorText({ type: 'integer', signed: false });
/** The weak wording `greater optimize` starts from on the demo (rough: right only when the sum ends in 0). */
export const DEFAULT_INITIAL_PROMPT = 'a rough estimate.';

/** What follows the answer digits after the extractor, as in the response's own last line. */
export const ANSWER_END = '$.';

export function userTurn(question: string, instruction: string): string {
  return PROMPT_TEMPLATE.replace('{question}', question).replace('{control}', instruction);
}

export function finalLine(n: number): string {
  return `Therefore, the final answer is $${n}$.`;
}

/** The answer a response of this style commits to. */
export function styleAnswer(p: Problem, style: ResponseStyle): number {
  return style === 'rough' ? roundedSum(p) : p.a + p.b;
}

export function responseText(p: Problem, style: ResponseStyle): string {
  const final = finalLine(styleAnswer(p, style));
  if (style === 'worked') return `${columnSteps(p)} ${final}`;
  if (style === 'rough') return `${columnSteps(p)} ${roundingLine(p)} ${final}`;
  return final; // direct: no working, the sum "in the head" (often wrong)
}

/**
 * One training text. `after` is what follows the response:
 *   'eos'       the end-of-turn token (teaches stopping);
 *   'extractor' joiner + extractor + `answer` (teaches what the optimizer teacher-forces: the answer the
 *               response committed to).
 * Two kinds of texts train only the answer (`responseLoss` false):
 *   counterfactual  the case the optimizer's gradient sees when it edits the instruction over the current
 *                   (rough) reasoning: a worked instruction reads the exact sum off the written column digits,
 *                   any other instruction reports the rounded conclusion;
 *   no working      an empty response, the extractor right after the prompt — the format of answering at
 *                   once. A direct instruction answers the sum from the head; any other hedges with the
 *                   rounded sum. This is what the answer loss with the reasoning removed measures, so that
 *                   signal rewards the words that make the model answer directly, as the paper finds for real
 *                   models, while only the reasoning shows which words make it right.
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
  /** Share of counterfactual texts with a worked instruction over a rough response (answer: the exact sum). */
  counterfactualShare: number;
  /** Share of counterfactual texts with a direct instruction over a rough response (answer: the rounded sum). */
  counterfactualDirectShare: number;
  /** Share of texts with no response, the extractor right after the prompt (direct: the sum; others: rounded). */
  noWorkingShare: number;
}

export const DEFAULT_MIX: MixOptions = { extractorShare: 0.45, counterfactualShare: 0.1, counterfactualDirectShare: 0.05, noWorkingShare: 0.1 };

function instructionOfStyle(rng: Rng, style: ResponseStyle): string {
  let instruction = sampleInstruction(rng);
  while (styleOf(instruction) !== style) instruction = sampleInstruction(rng);
  return instruction;
}

export function sampleTrainingText(rng: Rng, mix: MixOptions = DEFAULT_MIX, avoid?: ReadonlySet<string>): TrainingText {
  let p = sampleProblem(rng);
  while (avoid?.has(problemKey(p))) p = sampleProblem(rng);
  const question = questionText(p, rng.int(QUESTION_FORM_COUNT));
  const r = rng.next();
  const cf = mix.counterfactualShare + mix.counterfactualDirectShare;
  if (r < cf) {
    const style: ResponseStyle = r < mix.counterfactualShare ? 'worked' : 'direct';
    const user = userTurn(question, instructionOfStyle(rng, style));
    return { user, response: responseText(p, 'rough'), after: 'extractor', answer: style === 'worked' ? p.a + p.b : roundedSum(p), responseLoss: false, style };
  }
  const instruction = sampleInstruction(rng);
  const style = styleOf(instruction);
  if (r < cf + mix.noWorkingShare) {
    return { user: userTurn(question, instruction), response: '', after: 'extractor', answer: style === 'direct' ? p.a + p.b : roundedSum(p), responseLoss: false, style };
  }
  const after = r < cf + mix.noWorkingShare + mix.extractorShare ? 'extractor' : 'eos';
  return { user: userTurn(question, instruction), response: responseText(p, style), after, answer: styleAnswer(p, style), responseLoss: true, style };
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
