// Gradient over reasoning (ALGORITHM §6): ranking candidates by E[c]·Σg equals ranking by the gradient of
// the loss with respect to the reference's one-hot vector over the candidates, measured here by central
// finite differences on a float64 tiny model (x_pos = Σ_c onehot_c · E[c] fed through embeddingOverrides).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { buildLayout } from '../src/greater/layout';
import { candidateScores, controlGradient, gradItem, rankCandidates } from '../src/greater/gradient';
import type { TaskExample } from '../src/greater/tasks';
import { writeTinyModel } from './helpers/tiny-models';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-grad-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const EXTRACTOR = "Therefore, the final answer (use exact format: '$A' or '$B') is $";
const examples: TaskExample[] = [
  { index: 0, line: 2, question: 'Is the cat on the mat?\nOptions:\n(A) yes\n(B) no', label: '(A)', answer: 'A', target: EXTRACTOR + 'A' },
  { index: 1, line: 3, question: 'Hello world, and the sea?', label: '(B)', answer: 'B', target: EXTRACTOR + 'B' },
];

test('E[c]·Σg ranks candidates exactly like the one-hot gradient (finite differences)', async () => {
  const dir = path.join(root, 'llama');
  writeTinyModel(dir, 'llama', { seed: 21 });
  const m = await LanguageModel.load(dir, { dtype: 'float64' });
  const layout = buildLayout(m, examples, { template: '{question}. Use {control}', joiner: ' ', extractorText: EXTRACTOR });
  const ctrl = layout.encodeControl('think step by step.');
  const reasonings = [m.encode(' the cat sat', { addSpecialTokens: false }), m.encode(' and so on', { addSpecialTokens: false })];
  const opts = { answerTemperature: 0.2, controlWeight: 0.2, batchSize: 2 };
  const pos = 2;
  const g = await controlGradient(m, layout, ctrl, reasonings, opts, () => {});
  const cands = [ctrl[pos], 65, 70, 97, 104, 262, 277];
  const scores = candidateScores(m, cands, g.sum[pos]);

  // One-hot at the current token; ∂L/∂onehot_c by central differences, L summed over the samples.
  const H = m.config.hiddenSize;
  const items = layout.samples.map((s, i) => gradItem(s, ctrl, reasonings[i], opts, layout));
  const lossAt = async (onehot: number[]) => {
    const x = new Float64Array(H);
    cands.forEach((c, k) => { const e = m.embeddingRow(c); for (let h = 0; h < H; h++) x[h] += onehot[k] * e[h]; });
    const res = await m.inputGradient(items.map((it, i) => ({ ...it, gradPositions: [0], embeddingOverrides: new Map([[layout.samples[i].before.length + pos, x]]) })));
    return res.reduce((a, r) => a + r.loss, 0);
  };
  const eps = 1e-4;
  const fd: number[] = [];
  for (let k = 0; k < cands.length; k++) {
    const plus = cands.map((_, j) => (j === 0 ? 1 : 0) + (j === k ? eps : 0));
    const minus = cands.map((_, j) => (j === 0 ? 1 : 0) - (j === k ? eps : 0));
    fd.push((await lossAt(plus) - await lossAt(minus)) / (2 * eps));
  }
  const gnorm = Math.sqrt(Array.from(g.sum[pos]).reduce((a, v) => a + v * v, 0));
  fd.forEach((v, k) => assert.ok(Math.abs(v / gnorm - scores[k]) < 1e-5 * Math.max(1, Math.abs(scores[k])), `candidate ${cands[k]}: fd ${v / gnorm} vs E·g ${scores[k]}`));
  const byFd = rankCandidates(cands, fd.map((v) => v / gnorm)).map((r) => r.id);
  assert.deepEqual(rankCandidates(cands, scores).map((r) => r.id), byFd);
  assert.ok(new Set(scores.map((s) => s.toFixed(6))).size === cands.length, 'scores are distinct, so the ranking is meaningful');
  await m.dispose();
});

test('gradient loss targets: answer tokens at T, control tokens weighted w/L, gradient at the control positions', async () => {
  const dir = path.join(root, 'qwen');
  writeTinyModel(dir, 'qwen2', { seed: 3 });
  const m = await LanguageModel.load(dir);
  const layout = buildLayout(m, examples, { template: '{question}. Use {control}', joiner: ' ', extractorText: EXTRACTOR });
  const ctrl = layout.encodeControl('go on.');
  const s = layout.samples[0];
  const reasoning = [70, 71, 72];
  const item = gradItem(s, ctrl, reasoning, { answerTemperature: 0.5, controlWeight: 0.3, batchSize: 1 }, layout);
  const answerTargets = item.targets.filter((t) => t.temperature === 0.5);
  assert.equal(answerTargets.length, s.target.length - s.answerStart);
  for (const t of answerTargets) assert.equal(item.ids[t.position + 1], t.id);
  assert.equal(m.decode(answerTargets.map((t) => t.id)).trim(), 'A');
  const fluency = item.targets.filter((t) => t.temperature === undefined);
  assert.equal(fluency.length, ctrl.length);
  for (const t of fluency) assert.ok(Math.abs(t.weight! - 0.3 / ctrl.length) < 1e-12);
  assert.deepEqual(item.gradPositions, ctrl.map((_, j) => s.before.length + j));
  assert.deepEqual(item.ids.slice(s.before.length, s.before.length + ctrl.length), ctrl);
  await m.dispose();
});
