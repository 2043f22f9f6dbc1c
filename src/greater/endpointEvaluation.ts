// Held-out evaluation of a prompt on an OpenAI-compatible endpoint, the same protocol as evaluatePrompt on a
// local model but through chat messages: (1) the user turn our layout builds (template, question, prompt) →
// the reply is the reasoning; (2) the same turn plus an assistant message "reasoning + joiner + extractor"
// that the server continues (assistant prefill, as llama.cpp server and Ollama do) → the reply is the answer,
// parsed and scored as locally. No teacher forcing is possible here, so forcedCorrect is always false.
import { chatComplete, type ChatTurn, type EndpointTarget } from './endpoint';
import { answerTokenBudget, type ExampleResult, type PromptEvaluation } from './evaluation';
import { userTurnContent } from './layout';
import { isCorrect, parseCompletion, type Extractor, type TaskExample } from './tasks';

export interface EndpointEvalOptions {
  template: string;
  joiner: string;
  extractor: Extractor;
  maxNewTokens: number;
  answerTokens: number;
}

/** The two requests' messages for one example (exported for the test server's check of the protocol). */
export function endpointMessages(template: string, question: string, prompt: string, continuation?: string): ChatTurn[] {
  const user: ChatTurn = { role: 'user', content: userTurnContent(template, question, prompt) };
  return continuation === undefined ? [user] : [user, { role: 'assistant', content: continuation }];
}

export async function evaluateOnEndpoint(
  target: EndpointTarget, examples: readonly TaskExample[], prompt: string, opts: EndpointEvalOptions, check: () => void, signal?: AbortSignal,
): Promise<PromptEvaluation> {
  const results: ExampleResult[] = [];
  const answerBudget = answerTokenBudget(opts.extractor.kind, opts.answerTokens);
  for (const ex of examples) {
    check();
    const reasoning = await chatComplete(target, endpointMessages(opts.template, ex.question, prompt), opts.maxNewTokens, signal);
    check();
    const lead = reasoning.content + opts.joiner + opts.extractor.text;
    const answer = await chatComplete(target, endpointMessages(opts.template, ex.question, prompt, lead), answerBudget, signal);
    results.push({
      index: ex.index, line: ex.line, question: ex.question, gold: ex.answer, answer: parseCompletion(answer.content, opts.extractor.kind),
      correct: isCorrect(answer.content, ex.answer, opts.extractor.kind), forcedCorrect: false, reasoning: reasoning.content, completion: answer.content,
      tail: lead.slice(reasoning.content.length) + answer.content, truncated: reasoning.finishReason === 'length',
    });
  }
  const correct = results.filter((e) => e.correct).length;
  const n = results.length;
  return { prompt, correct, total: n, accuracy: n ? correct / n : 0, forcedAccuracy: 0, examples: results };
}
