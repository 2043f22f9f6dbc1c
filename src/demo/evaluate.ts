// Held-out accuracy of an instruction on the demo model: greater's own evaluation (ALGORITHM §9: greedy
// reasoning, then joiner + extractor appended and a few answer tokens parsed), over the demo's task file laid
// out with the demo's template and joiner, exactly as `greater optimize` evaluates the built-in demo.
import type { LanguageModel } from '../engine';
import { evaluatePrompt, type PromptEvaluation } from '../greater/evaluation';
import { buildLayout } from '../greater/layout';
import { loadTask } from '../greater/tasks';
import { PROMPT_TEMPLATE, REASONING_JOINER } from './task';

export interface EvalOptions {
  batchSize: number;
  maxNewTokens: number;
  answerTokens: number;
}

export const DEFAULT_EVAL: EvalOptions = { batchSize: 32, maxNewTokens: 96, answerTokens: 8 };

/** The first `limit` questions of a demo task file (question/answer JSON Lines), evaluated with `instruction`. */
export async function evaluateInstruction(
  m: LanguageModel, taskFile: string, instruction: string, limit?: number, opts: EvalOptions = DEFAULT_EVAL,
): Promise<PromptEvaluation> {
  const task = loadTask(taskFile);
  const examples = limit === undefined ? task.examples : task.examples.slice(0, limit);
  const layout = buildLayout(m, examples, { template: PROMPT_TEMPLATE, joiner: REASONING_JOINER, extractorText: task.extractor.text });
  return evaluatePrompt(m, layout, layout.encodeControl(instruction), { ...opts, joiner: REASONING_JOINER, extractor: task.extractor }, () => {});
}
