// One test (at least) per ALGORITHM §13 decision recorded in docs/algorithm-decisions.md, on tiny models.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/engine/language-model';
import { UserError } from '../src/engine';
import { DEFAULT_CONFIG, makeConfig, type GreaterConfig } from '../src/greater/config';
import { buildLayout, locateAnswer, encodeFragment, type PromptLayout } from '../src/greater/layout';
import { candidatesBatchFits, initialState, runSteps, type OptimizerContext } from '../src/greater/optimizer';
import { scoreControl } from '../src/greater/scorer';
import { buildVocabulary } from '../src/greater/vocab';
import { isConverged } from '../src/greater/schedule';
import { addTop } from '../src/greater/top';
import type { RunState, TopEntry } from '../src/greater/state';
import { loadTask, type TaskExample } from '../src/greater/tasks';
import type { RunEvent } from '../src/worker/protocol';
import { writeTinyModel } from './helpers/tiny-models';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-dec-'));
let m: LanguageModel;
after(async () => { await m?.dispose(); fs.rmSync(root, { recursive: true, force: true }); });
before(async () => {
  writeTinyModel(path.join(root, 'llama'), 'llama', { seed: 11 });
  m = await LanguageModel.load(path.join(root, 'llama'));
});

const EXTRACTOR = "Therefore, the final answer (use exact format: '$A' or '$B') is $";
const examples: TaskExample[] = Array.from({ length: 6 }, (_, i) => {
  const a = (i * 7) % 10, b = (i * 3 + 1) % 10;
  const answer = a > b ? 'A' : 'B';
  return { index: i, line: i + 1, question: `Is ${a} larger than ${b}?\nOptions:\n(A) yes\n(B) no`, label: `(${answer})`, answer, target: EXTRACTOR + answer };
});

function context(over: Record<string, unknown>): { ctx: OptimizerContext; layout: PromptLayout; cfg: GreaterConfig } {
  const cfg = makeConfig({ steps: 3, trainSize: 6, maxNewTokens: 6, topK: 6, topQ: 3, batchSize: 3, seed: 5, ...over });
  const layout = buildLayout(m, examples, { template: cfg.promptTemplate, joiner: cfg.reasoningJoiner, extractorText: EXTRACTOR });
  const vocab = buildVocabulary(m, cfg);
  const never = new AbortController().signal;
  return { ctx: { model: m, layout, vocab, config: cfg, file: 'test.jsonl', persist: () => {}, soft: never, hard: never }, layout, cfg };
}

async function run(over: Record<string, unknown>): Promise<{ state: RunState; events: RunEvent[]; ctx: OptimizerContext }> {
  const { ctx } = context(over);
  const events: RunEvent[] = [];
  const state = await runSteps(ctx, initialState(ctx), (e) => events.push(e));
  return { state, events, ctx };
}

test('§13.1 settings are plumbed through: unknown keys and wrong types are errors, defaults equal the reference', () => {
  assert.throws(() => makeConfig({ controlWeigth: 0.3 }), (e: unknown) => e instanceof UserError && /unknown setting 'controlWeigth'/.test(e.message));
  assert.throws(() => makeConfig({ topK: '40' }), /topK' must be a number/);
  assert.throws(() => makeConfig({ promptTemplate: '{question} only' }), /must contain \{control\} exactly once/);
  // §10 / §13.18: the released defaults.
  const d = DEFAULT_CONFIG;
  assert.deepEqual([d.topK, d.topQ, d.intersectionSize, d.keepForSelection, d.answerTemperature, d.controlWeight, d.maxNewTokens, d.trainSize, d.lossThreshold],
    [40, 6, 5, 3, 0.2, 0.2, 1024, 50, 0.12]);
  const f = makeConfig({ faithful: true });
  assert.deepEqual([f.acceptance, f.neighbourBan, f.fluencyOnCandidate, f.crossStepCache, f.thresholdAction], ['always-replace', 'previous-wrapping', false, false, 'restart']);
  assert.equal(makeConfig({ faithful: true, acceptance: 'keep-best' }).acceptance, 'keep-best', 'explicit settings override --faithful');
});

test('§13.2 selection fluency scores the candidate\'s own tokens; the reference scored the old control', async () => {
  const { layout } = context({});
  const ctrl = layout.encodeControl('think step by step.');
  const cand = ctrl.slice();
  cand[1] = ctrl[1] === 97 ? 98 : 97;
  const opts = { batchSize: 3, maxNewTokens: 4, selectionWeight: 0.02 };
  const fluency = async (c: number[], targets: number[]) => (await scoreControl(m, layout, c, targets, opts, () => {})).fluency;
  // Reference: mean −log p(targets[j] | before + c[:j]) by plain teacher forcing, sample by sample.
  const reference = async (c: number[], targets: number[]) => {
    const V = m.config.vocabSize;
    let total = 0, count = 0;
    for (const s of layout.samples) {
      const positions = c.map((_, j) => s.before.length + j - 1);
      const [rows] = await m.nextTokenLogProbs([[...s.before, ...c]], [positions]);
      positions.forEach((_, j) => { total -= rows[j * V + targets[j]]; count++; });
    }
    return total / count;
  };
  const own = await fluency(cand, cand);
  const stale = await fluency(cand, ctrl);
  const old = await fluency(ctrl, ctrl);
  assert.ok(Math.abs(own - (await reference(cand, cand))) < 1e-4);
  assert.ok(Math.abs(stale - (await reference(cand, ctrl))) < 1e-4);
  assert.notEqual(own, stale);
  assert.notEqual(stale, old, 'stale targets still see the candidate context');
  assert.ok(own > 0 && stale > 0);
});

test('§13.3 keep-best: a step never ends worse than the prompt it started from (a filler placeholder aside); the reference always replaces', async () => {
  const { state, events } = await run({ steps: 4 });
  let prev = state.initial!.score;
  for (const h of state.history) {
    const cand = events.find((e) => e.kind === 'candidates' && e.step === h.step) as Extract<RunEvent, { kind: 'candidates' }>;
    const atFiller = cand.promptTokens[h.position] === '_';
    if (!atFiller) assert.ok(h.score <= prev, `step ${h.step}: ${h.score} > ${prev}`);
    if (h.kept && !atFiller) assert.equal(h.score, prev);
    prev = h.score;
  }
  const faithful = await run({ steps: 4, faithful: true });
  assert.ok(faithful.state.history.every((h) => h.evaluated >= 1), 'the reference evaluates candidates every step');
});

test('§13.4 cache: scores are keyed by control ids and equal a fresh evaluation', async () => {
  const { state, ctx } = await run({ steps: 2 });
  assert.ok(state.cache.length >= 2);
  for (const [key, cached] of state.cache.slice(0, 3)) {
    const ctrl = key.split(',').map(Number);
    const fresh = await scoreControl(m, ctx.layout, ctrl, ctrl, { batchSize: 3, maxNewTokens: 6, selectionWeight: 0.02 }, () => {});
    assert.deepEqual(fresh.mistakes, cached.mistakes);
    assert.ok(Math.abs(fresh.score - cached.score) < 1e-9);
  }
  const faithful = await run({ steps: 2, faithful: true });
  assert.equal(faithful.state.cache.length, 0, 'the reference clears its cache every step');
});

test('§13.5 ids are the source of truth: controls round-trip through text, whitespace-only tokens are banned', async () => {
  const { state, ctx } = await run({ steps: 3 });
  const back = ctx.layout.encodeControl(ctx.layout.controlText(state.ctrl));
  assert.deepEqual(back, state.ctrl);
  for (const t of state.top) assert.deepEqual(ctx.layout.encodeControl(t.prompt), t.ctrl);
  const space = m.encode(' ', { addSpecialTokens: false })[0];
  assert.equal(buildVocabulary(m, { banAllSpecial: true, banWhitespace: true }).banned[space], 1);
  assert.equal(buildVocabulary(m, { banAllSpecial: false, banWhitespace: false }).banned[space], 0, 'the reference allowed " "');
});

test('§13.5 loop detection: the unchanged-step counter is the trailing run of steps that kept the control', async () => {
  const { state } = await run({ steps: 4 });
  let trailing = 0;
  for (let i = state.history.length - 1; i >= 0 && state.history[i].kept; i--) trailing++;
  // Growth counts as a change, so the counter can only be shorter than the kept run.
  assert.ok(state.unchanged <= trailing);
  if (state.history[state.history.length - 1].kept) assert.ok(state.unchanged >= 1);
  else assert.equal(state.unchanged, 0);
  assert.equal(isConverged(5, 5, 1), true);
  assert.equal(isConverged(9, 5, 2), false);
  assert.equal(isConverged(10, 5, 2), true);
  assert.equal(isConverged(1000, 5, 0), false, '0 disables the rule (the reference never stops)');
});

test('§13.7 every special/added token is banned by default; the reference let added headers through', () => {
  const ours = buildVocabulary(m, { banAllSpecial: true, banWhitespace: true });
  for (const id of m.tokenizer.specialIds) assert.equal(ours.banned[id], 1, `special ${id}`);
  const ref = buildVocabulary(m, { banAllSpecial: false, banWhitespace: false });
  const header = m.encode('<|start_header_id|>', { addSpecialTokens: false })[0];
  assert.equal(ref.banned[header], 0);
  for (const id of m.stopIds) assert.equal(ref.banned[id], 1);
});

test('§13.8 scoring through the generation\'s KV cache equals a separate teacher-forced pass', async () => {
  const { layout } = context({});
  const ctrl = layout.encodeControl('think step by step.');
  const sc = await scoreControl(m, layout, ctrl, ctrl, { batchSize: 3, maxNewTokens: 6, selectionWeight: 0.02 }, () => {});
  const seqs = layout.samples.map((s, i) => [...layout.promptIds(s, ctrl), ...sc.reasonings[i], ...s.target]);
  const V = m.config.vocabSize;
  const rows = await m.logitsAt(seqs, layout.samples.map((s, i) => {
    const start = seqs[i].length - s.target.length;
    return Array.from({ length: s.target.length - s.answerStart }, (_, j) => start + s.answerStart + j - 1);
  }));
  layout.samples.forEach((s, i) => {
    let wrong = 0;
    for (let j = 0; j < s.target.length - s.answerStart; j++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (rows[i][j * V + v] > rows[i][j * V + best]) best = v;
      if (best !== s.target[s.answerStart + j]) wrong = 1;
    }
    assert.equal(sc.mistakes[i], wrong, `sample ${i}`);
  });
});

test('§13.9 one joiner between reasoning and extractor, configurable; §13.10 answer tokens located by construction', () => {
  const space = buildLayout(m, examples, { template: '{question}. Use {control}', joiner: ' ', extractorText: EXTRACTOR });
  const nl = buildLayout(m, examples, { template: '{question}. Use {control}', joiner: '\n', extractorText: EXTRACTOR });
  assert.equal(m.decode(space.samples[0].target), ' ' + EXTRACTOR + examples[0].answer);
  assert.equal(m.decode(nl.samples[0].target), '\n' + EXTRACTOR + examples[0].answer);
  // Binary answers after "$ ": the space merges into the answer token, which is found anyway.
  const target = encodeFragment(m, " is $ Yes", 'x');
  const k = locateAnswer(m, target, 'Yes');
  assert.equal(m.decode(target.slice(k)).trim(), 'Yes');
  assert.ok(!m.decode(target.slice(k)).includes('$'));
  const num = encodeFragment(m, ' is $1234', 'x');
  assert.equal(m.decode(num.slice(locateAnswer(m, num, '1234'))), '1234');
});

test('§13.11 option lists come from the data (date_understanding has (F))', { skip: !fs.existsSync(path.resolve(__dirname, '../../../shared/fixtures/bbh/date_understanding.json')) && 'shared fixtures absent' }, () => {
  const t = loadTask(path.resolve(__dirname, '../../../shared/fixtures/bbh/date_understanding.json'));
  assert.ok(t.kind.type === 'mcq' && t.kind.letters.includes('F'));
  assert.match(t.extractor.text, /'\$F'\) is \$$/);
});

test('§13.12 gradient without reasoning is a switch (the paper\'s ablation); default uses the current reasoning', async () => {
  const a = await run({ steps: 1 });
  const b = await run({ steps: 1, gradientOverReasoning: false });
  const heatA = (a.events.find((e) => e.kind === 'candidates') as Extract<RunEvent, { kind: 'candidates' }>).heat;
  const heatB = (b.events.find((e) => e.kind === 'candidates') as Extract<RunEvent, { kind: 'candidates' }>).heat;
  assert.notDeepEqual(heatA, heatB);
});

test('§13.13 a score below the threshold stops (default) or restarts at position 0 keeping the top list (reference)', async () => {
  const stop = await run({ steps: 3, lossThreshold: 100 });
  assert.equal(stop.state.finished, 'early-stop');
  assert.equal(stop.state.step, 1);
  const restart = await run({ steps: 3, lossThreshold: 100, thresholdAction: 'restart' });
  assert.equal(restart.state.step, 3);
  assert.equal(restart.state.pos, 0);
  assert.deepEqual(restart.state.history.map((h) => h.position), [0, 0, 0]);
  assert.ok(restart.state.top.length >= 1);
});

test('§13.14 global top-k: one entry per control, best first, earlier step on ties, capped', () => {
  const e = (ctrl: number[], score: number, step: number): TopEntry => ({ ctrl, prompt: ctrl.join(' '), score, accuracy: 0, step });
  let top: TopEntry[] = [];
  top = addTop(top, e([1], 0.5, 0), 2);
  top = addTop(top, e([2], 0.3, 1), 2);
  top = addTop(top, e([1], 0.5, 2), 2);
  assert.deepEqual(top.map((t) => [t.ctrl[0], t.step]), [[2, 1], [1, 0]]);
  top = addTop(top, e([3], 0.3, 3), 2);
  assert.deepEqual(top.map((t) => t.ctrl[0]), [2, 3]);
});

test('§13.15 seeded: same seed → same trajectory, and successive halving changes nothing but the cost', async () => {
  const a = await run({ steps: 3 });
  const b = await run({ steps: 3 });
  const strip = (s: RunState) => s.history.map((h) => ({ ...h, seconds: 0 }));
  assert.deepEqual(strip(a.state), strip(b.state));
  const h = await run({ steps: 3, halving: true });
  assert.deepEqual(h.state.history.map((x) => [x.prompt, x.score]), a.state.history.map((x) => [x.prompt, x.score]));
  const gen = (s: RunState) => s.history.reduce((t, x) => t + x.counts.generatedTokens, 0);
  assert.ok(gen(h.state) <= gen(a.state));
});

test('§13.19 every sample carries the identical control ids, by construction', () => {
  const { layout } = context({});
  const ctrl = layout.encodeControl('think step by step.');
  for (const s of layout.samples) assert.deepEqual(layout.promptIds(s, ctrl).slice(s.before.length, s.before.length + ctrl.length), ctrl);
});

test('17.6 candidates scored together (candidates × samples rows) end exactly as scored one by one, in fewer batches', async () => {
  const calls = { n: 0 };
  const generate = m.generate.bind(m);
  m.generate = (prompts, opts) => { calls.n++; return generate(prompts, opts); };
  try {
    const apart = await run({ batchCandidates: false });
    const apartCalls = calls.n;
    calls.n = 0;
    const together = await run({ batchCandidates: true });
    const strip = (s: RunState) => ({ ctrl: s.ctrl, pos: s.pos, top: s.top, history: s.history.map((h) => ({ ...h, seconds: 0 })) });
    assert.deepEqual(strip(together.state), strip(apart.state));
    assert.ok(calls.n < apartCalls, `batched selection made ${calls.n} generate calls, one by one ${apartCalls}`);
    // While all candidates are in flight the progress claims no "candidate 1 of K": the ETA comes from the step time.
    assert.ok(together.events.some((e) => e.kind === 'phase' && e.phase === 'selection' && !('candidate' in e)), 'the batched selection names no candidate');
    // ...nor afterwards, when the selection reads the scores it made (a "1 of K" there projected 3× the step).
    const batchedSteps = new Set(together.events.flatMap((e) => (e.kind === 'phase' && e.phase === 'selection' && !('candidate' in e) ? [e.step] : [])));
    const named = together.events.filter((e) => e.kind === 'phase' && e.phase === 'selection' && 'candidate' in e && batchedSteps.has(e.step));
    assert.deepEqual(named, [], 'a candidate scored in the batch is announced again');
    assert.ok(!apart.events.some((e) => e.kind === 'phase' && e.phase === 'selection' && !('candidate' in e)), 'one by one, every selection phase names its candidate');
  } finally {
    m.generate = generate;
  }
});

test('candidates are scored together only where their KV cache fits in a quarter of free memory', () => {
  const { layout } = context({});
  const ctrl = layout.encodeControl('think step by step.');
  const longest = Math.max(...layout.samples.map((s) => layout.promptIds(s, ctrl).length));
  const perToken = 2 * m.config.numLayers * m.config.numKvHeads * m.config.headDim * 4;
  const need = 3 * 3 * (longest + 100) * perToken; // 3 candidates × batch 3, 100 new tokens
  assert.equal(candidatesBatchFits(m, layout, ctrl, 3, 3, 100, 4 * need), true);
  assert.equal(candidatesBatchFits(m, layout, ctrl, 3, 3, 100, 4 * need - 1), false);
  const scripted = { ...m, config: { vocabSize: 10, hiddenSize: 4, maxPositions: 64 } } as unknown as Parameters<typeof candidatesBatchFits>[0];
  assert.equal(candidatesBatchFits(scripted, layout, ctrl, 3, 3, 100, 0), true, 'a model without a KV shape is not refused');
});
