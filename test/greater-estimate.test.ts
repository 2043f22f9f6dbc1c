// The measured estimate: extrapolation follows the cost model, and a user-set limit refuses a run before step 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeConfig } from '../src/greater/config';
import { extrapolate, measureCosts, withMeasuredSteps, type MeasuredCosts } from '../src/greater/estimate';
import { LanguageModel } from '../src/engine/language-model';
import { buildLayout } from '../src/greater/layout';
import { initialState, runSteps, type OptimizerContext } from '../src/greater/optimizer';
import { buildVocabulary } from '../src/greater/vocab';
import type { TaskExample } from '../src/greater/tasks';
import { writeTinyModel } from './helpers/tiny-models';

const bin = path.resolve(__dirname, '../../bin/greater.js');

test('extrapolation: start reasoning, then per step proposal + gradient per sample + K evaluations per batch, then held-out', () => {
  const c: MeasuredCosts = { batch: 4, evalBatchSeconds: 2, decodeStepSeconds: 0.01, reasoningSteps: 100, proposalSeconds: 0.5, gradientSeconds: 3, probeSeconds: 1 };
  const cfg = makeConfig({ steps: 10, keepForSelection: 3, evaluateTop: 1 });
  const e = extrapolate(c, cfg, 10, 7); // 3 training batches, 2 held-out batches
  assert.equal(e.startSeconds, 3 * 2);
  assert.equal(e.stepSeconds, 2.5 * (0.5 + 3) + 3 * 3 * 2); // 10 samples = 2.5 batches of proposal + gradient
  assert.equal(e.evaluationSeconds, 2 * 2 * 2);
  assert.equal(e.totalSeconds, e.startSeconds + 10 * e.stepSeconds + e.evaluationSeconds);
  // Candidates generated together: one batch of candidates × samples rows per training batch replaces K batches.
  const together = extrapolate({ ...c, candidates: { batchSeconds: 3, stepSeconds: 0.02 } }, cfg, 10, 7);
  assert.equal(together.stepSeconds, 2.5 * (0.5 + 3) + 3 * 3);
  assert.equal(together.startSeconds, e.startSeconds);
  // The probe's own reasoning was the first batch: two batches of start reasoning are left.
  const reused = extrapolate(c, cfg, 10, 7, 1);
  assert.equal(reused.startSeconds, 2 * 2);
  assert.equal(reused.totalSeconds, e.totalSeconds - 2);
  // The random-search baseline computes no gradient; regenerating the reasoning every step costs one more evaluation.
  assert.equal(extrapolate(c, makeConfig({ candidateRanking: 'random', keepForSelection: 3 }), 10, 7).stepSeconds, 2.5 * 0.5 + 3 * 3 * 2);
  assert.equal(extrapolate(c, makeConfig({ reuseReasoning: false, keepForSelection: 3 }), 10, 7).stepSeconds, 2.5 * 3.5 + 4 * 3 * 2);
});

test('scratch steps: the second is the step cost; a lone first counts less its start reasoning, never below the model', () => {
  const c: MeasuredCosts = { batch: 4, evalBatchSeconds: 2, decodeStepSeconds: 0.01, reasoningSteps: 100, proposalSeconds: 0.5, gradientSeconds: 3, probeSeconds: 1 };
  const cfg = makeConfig({ steps: 10, keepForSelection: 3, evaluateTop: 1 });
  const e = extrapolate(c, cfg, 10, 7); // start 6 s, step 26.75 s
  const two = withMeasuredSteps(e, cfg, [40, 20]);
  assert.equal(two.stepSeconds, 20);
  assert.equal(two.totalSeconds, e.startSeconds + 10 * 20 + e.evaluationSeconds);
  assert.equal(two.costs.probeSeconds, 1 + 60);
  assert.equal(withMeasuredSteps(e, cfg, [40]).stepSeconds, 40 - 6);
  assert.equal(withMeasuredSteps(e, cfg, [10]).stepSeconds, e.stepSeconds);
});

test('the estimate is printed before step 1 and --max-minutes refuses a run it exceeds, in one line', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-est-'));
  try {
    const r = spawnSync(process.execPath, [bin, 'optimize', '--steps', '10000', '--max-minutes', '1', '--out', path.join(out, 'run')], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, /the estimate: about [\d.]+ (s|min|h) for 10000 steps .* over --max-minutes 1: lower --steps, --train-size or --max-new-tokens, or raise the limit/);
    assert.ok(!fs.existsSync(path.join(out, 'run', 'checkpoint.json')), 'a step ran');
    const ok = spawnSync(process.execPath, [bin, 'optimize', '--steps', '1', '--held-out', '5', '--out', path.join(out, 'run2')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /estimate: about \d+ (s|min) for 1 steps \(\d+ s per step; .*reasoning ≈ \d+ tokens/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-est-probe-'));
let m: LanguageModel;
before(async () => {
  writeTinyModel(path.join(root, 'llama'), 'llama', { seed: 11 });
  m = await LanguageModel.load(path.join(root, 'llama'), { gradients: true });
});
after(async () => { await m?.dispose(); fs.rmSync(root, { recursive: true, force: true }); });

const EXTRACTOR = "Therefore, the final answer (use exact format: '$A' or '$B') is $";
const examples: TaskExample[] = Array.from({ length: 6 }, (_, i) => {
  const a = (i * 7) % 10, b = (i * 3 + 1) % 10;
  const answer = a > b ? 'A' : 'B';
  return { index: i, line: i + 1, question: `Is ${a} larger than ${b}?\nOptions:\n(A) yes\n(B) no`, label: `(${answer})`, answer, target: EXTRACTOR + answer };
});

function context(maxNewTokens: number): OptimizerContext {
  const cfg = makeConfig({ steps: 1, trainSize: 6, maxNewTokens, topK: 6, topQ: 3, batchSize: 4, seed: 5 });
  const layout = buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: EXTRACTOR });
  const never = new AbortController().signal;
  return { model: m, layout, vocab: buildVocabulary(m, cfg), config: cfg, file: 'test.jsonl', persist: () => {}, soft: never, hard: never };
}

test('the probe\'s reasoning is the first batch of step 1: reused when it ran to its end, and the step ends exactly as without it', async () => {
  const plain = context(24);
  const withProbe = context(24);
  const probe = await measureCosts(m, withProbe.layout, withProbe.config, withProbe.file);
  assert.ok(probe.startReasoning, 'a 24-token budget on a tiny model finishes within the probe');
  // The run scores a step's candidates together here, and the probe prices that batch (not K separate ones).
  const c = probe.costs.candidates;
  assert.ok(c && c.stepSeconds >= probe.costs.decodeStepSeconds && c.batchSeconds > 0, JSON.stringify(probe.costs));
  const apart = context(24);
  apart.config = { ...apart.config, batchCandidates: false };
  assert.equal((await measureCosts(m, apart.layout, apart.config, apart.file)).costs.candidates, undefined);
  assert.deepEqual([...probe.startReasoning.results.keys()], [0, 1, 2, 3], 'the first batch of 4');
  withProbe.startReasoning = probe.startReasoning;
  const a = await runSteps(plain, initialState(plain), () => {});
  const b = await runSteps(withProbe, initialState(withProbe), () => {});
  assert.deepEqual(b.reasonings, a.reasonings);
  assert.deepEqual([b.initial, b.current, b.top, b.ctrl], [a.initial, a.current, a.top, a.ctrl]);
  // Step 1 generated the first batch's reasoning only once: in the probe.
  const reused = [0, 1, 2, 3].reduce((t, i) => t + probe.startReasoning!.results.get(i)!.reasoning.length, 0);
  assert.ok(reused > 0);
  assert.ok(b.history[0].counts.generatedTokens < a.history[0].counts.generatedTokens, `${b.history[0].counts.generatedTokens} vs ${a.history[0].counts.generatedTokens}`);
});

test('a probe whose reasoning would run long stops at its box, offers nothing to reuse and assumes the full budget', async () => {
  const ctx = context(40);
  // No time box and no allowance for finishing: the generation stops after its minimum steps unless every row ended.
  const probe = await measureCosts(m, ctx.layout, ctx.config, ctx.file, 0, 0);
  const ended = await measureCosts(m, ctx.layout, ctx.config, ctx.file);
  assert.ok(ended.startReasoning, 'with the defaults a tiny model finishes');
  const rows = [...ended.startReasoning.results.values()];
  if (rows.every((r) => !r.truncated && r.reasoning.length < 16)) return assert.fail('every row ended before 16 steps: pick a seed whose reasoning runs long');
  assert.equal(probe.startReasoning, null);
  assert.equal(probe.costs.reasoningSteps, 40);
  // Nothing reused: step 1 generates the whole start reasoning itself.
  ctx.startReasoning = probe.startReasoning ?? undefined;
  const s = await runSteps(ctx, initialState(ctx), () => {});
  assert.equal(s.step, 1);
});
