// Held-out evaluation (ALGORITHM §9, our protocol): greedy reasoning with the prompt, then the extractor
// is appended and a few answer tokens are generated and parsed (parseCompletion). The teacher-forced
// "mistake" of training is reported beside it for comparability. Per-example results allow wins/losses.
import type { ModelPort } from './model';
import { encodeFragment, type PromptLayout } from './layout';
import { chunks } from './scorer';
import { isCorrect, parseCompletion, type AnswerKind, type Extractor } from './tasks';

export interface ExampleResult {
  index: number;
  line: number;
  question: string;
  gold: string;
  /** Parsed answer, null if none could be read. */
  answer: string | null;
  correct: boolean;
  /** Teacher-forced answer tokens all argmax (the training criterion). */
  forcedCorrect: boolean;
  reasoning: string;
  /** What the model wrote after the extractor. */
  completion: string;
  /** Decoded extractor tokens + completion, as the model's token stream reads (special tokens skipped). */
  tail: string;
  truncated: boolean;
}

export interface PromptEvaluation {
  prompt: string;
  correct: number;
  total: number;
  accuracy: number;
  forcedAccuracy: number;
  examples: ExampleResult[];
}

export interface EvalOptions {
  batchSize: number;
  maxNewTokens: number;
  answerTokens: number;
  joiner: string;
  extractor: Extractor;
}

export function answerTokenBudget(kind: AnswerKind, base: number): number {
  return kind.type === 'integer' ? base + 4 : kind.type === 'text' ? base * 4 : base;
}

export async function evaluatePrompt(
  m: ModelPort, layout: PromptLayout, ctrl: readonly number[], opts: EvalOptions, check: () => void,
  onProgress?: (done: number, total: number) => void,
): Promise<PromptEvaluation> {
  const extractorIds = encodeFragment(m, opts.joiner + opts.extractor.text, 'x');
  const examples: ExampleResult[] = [];
  const n = layout.samples.length;
  for (const idx of chunks(n, opts.batchSize)) {
    check();
    const samples = idx.map((i) => layout.samples[i]);
    const prompts = samples.map((s) => layout.promptIds(s, ctrl));
    const gens = await m.generate(prompts, { maxNewTokens: opts.maxNewTokens, suffixes: samples.map((s) => s.target), suffixScoredFrom: samples.map((s) => s.answerStart), prefixLengths: samples.map((s) => s.before.length) });
    check();
    const forced = prompts.map((p, k) => [...p, ...gens[k].ids, ...extractorIds]);
    const room = m.config.maxPositions - Math.max(...forced.map((f) => f.length));
    const answers = await m.generate(forced, { maxNewTokens: Math.max(0, Math.min(room, answerTokenBudget(opts.extractor.kind, opts.answerTokens))) });
    samples.forEach((s, k) => {
      const g = gens[k];
      let forced = true;
      for (let j = s.answerStart; j < s.target.length; j++) if (g.suffix!.argmax[j] !== s.target[j]) forced = false;
      const completion = m.decode(answers[k].ids, { skipSpecialTokens: true });
      examples.push({
        index: s.index, line: s.line, question: s.question, gold: s.answer, answer: parseCompletion(completion, opts.extractor.kind),
        correct: isCorrect(completion, s.answer, opts.extractor.kind), forcedCorrect: forced,
        reasoning: m.decode(g.ids, { skipSpecialTokens: true }), completion,
        tail: m.decode([...extractorIds, ...answers[k].ids], { skipSpecialTokens: true }), truncated: g.finish === 'length',
      });
    });
    onProgress?.(examples.length, n);
  }
  const correct = examples.filter((e) => e.correct).length;
  return {
    prompt: layout.controlText(ctrl), correct, total: n, accuracy: n ? correct / n : 0,
    forcedAccuracy: n ? examples.filter((e) => e.forcedCorrect).length / n : 0, examples,
  };
}

export interface Comparison {
  /** Examples the second prompt gets right and the first wrong. */
  wins: number[];
  losses: number[];
  bothRight: number;
  bothWrong: number;
}

/** Per-example comparison of two evaluations on the same examples (by dataset index). */
export function compareEvaluations(a: PromptEvaluation, b: PromptEvaluation): Comparison {
  const byIndex = new Map(a.examples.map((e) => [e.index, e.correct]));
  const out: Comparison = { wins: [], losses: [], bothRight: 0, bothWrong: 0 };
  for (const e of b.examples) {
    const before = byIndex.get(e.index);
    if (before === undefined) continue;
    if (e.correct && !before) out.wins.push(e.index);
    else if (!e.correct && before) out.losses.push(e.index);
    else if (e.correct) out.bothRight++;
    else out.bothWrong++;
  }
  return out;
}
