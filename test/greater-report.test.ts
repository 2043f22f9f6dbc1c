// report.md shows the held-out set example by example: initial vs best prompt, gold answer, what each extracted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ExampleResult, PromptEvaluation } from '../src/greater/evaluation';
import { renderReportMarkdown, type RunReport } from '../src/greater/report';

function example(index: number, question: string, gold: string, answer: string | null): ExampleResult {
  return {
    index, line: index + 2, question, gold, answer, correct: answer === gold, forcedCorrect: answer === gold,
    reasoning: 'r', completion: answer ?? '', tail: '', truncated: false,
  };
}

function evaluation(prompt: string, examples: ExampleResult[]): PromptEvaluation {
  const correct = examples.filter((e) => e.correct).length;
  return { prompt, correct, total: examples.length, accuracy: correct / examples.length, forcedAccuracy: 0, examples };
}

test('report.md has a per-example table of the held-out set: question, gold, initial and best answers with ✓/✗', () => {
  const initial = evaluation('a rough estimate.', [example(0, 'What is 2 | 3?\nThink.', '5', '6'), example(1, 'What is 1 + 1?', '2', '2')]);
  const best = evaluation('a careful estimate.', [example(0, 'What is 2 | 3?\nThink.', '5', '5'), example(1, 'What is 1 + 1?', '2', null)]);
  const report: RunReport = {
    schemaVersion: 1, runId: 'r', finished: 'completed', steps: 3, model: 'demo', task: 't', extractor: 'auto', faithful: false,
    initial: null, best: [], last: { prompt: 'p', ctrl: [] },
    heldOut: { model: 'demo', initial, best: [best], comparison: null }, transfer: null,
    totals: { forwardPasses: 0, backwardPasses: 0, generatedTokens: 0, seconds: 0 },
  };
  const md = renderReportMarkdown(report).split('\n');
  const at = md.indexOf('### Per example: initial vs best #1');
  assert.ok(at > 0, md.join('\n'));
  assert.deepEqual(md.slice(at + 2, at + 6), [
    '| row | question | gold | initial | best #1 |',
    '|---|---|---|---|---|',
    '| 2 | What is 2 \\| 3? Think. | 5 | ✗ 6 | ✓ 5 |',
    '| 3 | What is 1 + 1? | 2 | ✓ 2 | ✗ (none) |',
  ]);
});
