// Held-out accuracy of an instruction on the demo model, as ALGORITHM §9 measures it: greedy reasoning,
// then joiner + extractor appended and a few answer tokens generated, parsed by the tasks layer.
import type { LanguageModel } from '../engine';
import { isCorrect } from '../greater/tasks/answers';
import type { AnswerKind } from '../greater/tasks/answers';
import { promptText } from './encode';
import { EXTRACTOR_TEXT, REASONING_JOINER, TaskRow, userTurn } from './task';

const KIND: AnswerKind = { type: 'integer', signed: false };

export interface EvalOptions {
  batchSize: number;
  maxNewTokens: number;
  answerTokens: number;
}

export const DEFAULT_EVAL: EvalOptions = { batchSize: 32, maxNewTokens: 96, answerTokens: 8 };

export interface EvalItem {
  question: string;
  answer: string;
  reasoning: string;
  completion: string;
  correct: boolean;
}

export interface EvalResult {
  instruction: string;
  correct: number;
  total: number;
  accuracy: number;
  items: EvalItem[];
}

export async function evaluateInstruction(m: LanguageModel, rows: readonly TaskRow[], instruction: string, opts: EvalOptions = DEFAULT_EVAL): Promise<EvalResult> {
  const items: EvalItem[] = [];
  const enc = (s: string) => m.encode(s, { addSpecialTokens: false });
  for (let i = 0; i < rows.length; i += opts.batchSize) {
    const batch = rows.slice(i, i + opts.batchSize);
    const prompts = batch.map((r) => enc(promptText(m, userTurn(r.question, instruction))));
    const gens = await m.generate(prompts, { maxNewTokens: opts.maxNewTokens });
    const extractor = enc(REASONING_JOINER + EXTRACTOR_TEXT);
    const answers = await m.generate(prompts.map((p, k) => [...p, ...gens[k].ids, ...extractor]), { maxNewTokens: opts.answerTokens });
    batch.forEach((r, k) => {
      const completion = m.decode(answers[k].ids, { skipSpecialTokens: true });
      items.push({ question: r.question, answer: r.answer, reasoning: m.decode(gens[k].ids, { skipSpecialTokens: true }), completion, correct: isCorrect(completion, r.answer, KIND) });
    });
  }
  const correct = items.filter((x) => x.correct).length;
  return { instruction, correct, total: items.length, accuracy: items.length ? correct / items.length : 0, items };
}
