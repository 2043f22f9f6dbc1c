// The readability figure (src/greater/readability.ts) on the built-in demo model: it matches the perplexity
// computed token by token from growing prefixes (an independent pass per token), and a prompt the model reads as
// its own language scores better than the same words shuffled or glued.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { makeConfig } from '../src/greater/config';
import { buildLayout } from '../src/greater/layout';
import { promptPerplexity } from '../src/greater/readability';
import { scoreControl } from '../src/greater/scorer';
import type { TaskExample } from '../src/greater/tasks';

const DEMO = path.resolve(__dirname, '..', '..', 'models', 'greater-demo');
let m: LanguageModel;
before(async () => { m = await LanguageModel.load(DEMO); });
after(async () => { await m?.dispose(); });

const examples: TaskExample[] = [['What is 35 + 57', '92'], ['Add 48 and 47', '95'], ['Find the sum of 32 and 590', '622']].map(([q, a], i) =>
  ({ index: i, line: i + 1, question: q, label: a, answer: a, target: `is $${a}` }));

function layout() {
  const cfg = makeConfig({ promptTemplate: '{question}. Use {control}', reasoningJoiner: ' ', trainSize: 3 });
  return buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: 'Therefore, the final answer is $' });
}

test('perplexity equals exp(mean NLL) computed one prefix at a time', async () => {
  const l = layout();
  const ctrl = l.encodeControl('a careful check.');
  let nll = 0, n = 0;
  for (const s of l.samples) {
    const ids = l.promptIds(s, ctrl);
    for (let j = 0; j < ctrl.length; j++) {
      const p = s.before.length + j - 1;
      const [row] = await m.nextTokenLogProbs([ids.slice(0, p + 1)], [[p]]);
      nll -= row[ctrl[j]];
      n++;
    }
  }
  const got = await promptPerplexity(m, l, ctrl);
  assert.ok(Math.abs(got / Math.exp(nll / n) - 1) < 1e-4, `${got} vs ${Math.exp(nll / n)}`);
});

test('the words of a natural prompt read better in order than shuffled or glued together', async () => {
  const l = layout();
  const ppl = (t: string) => promptPerplexity(m, l, l.encodeControl(t));
  const natural = await ppl('a careful check.');
  assert.ok(natural < await ppl('check. careful a'), 'shuffled');
  assert.ok(natural < await ppl('a carefulcheck.'), 'glued');
});

test('the selection score\'s fluency over all samples is the same figure (a run reads readability from it)', async () => {
  const l = layout();
  const ctrl = l.encodeControl('a careful check.');
  const sc = await scoreControl(m, l, ctrl, ctrl, { batchSize: 2, maxNewTokens: 4, selectionWeight: 1 }, () => {});
  const all = await promptPerplexity(m, l, ctrl, l.samples.length);
  assert.ok(Math.abs(Math.exp(sc.fluency) / all - 1) < 1e-4, `${Math.exp(sc.fluency)} vs ${all}`);
});
