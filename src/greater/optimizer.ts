// The GReaTer step loop (ALGORITHM Appendix A with the §13 decisions of docs/algorithm-decisions.md):
// reasoning (only when the current control has none: the winner's reasoning is reused, §11 item 1) →
// proposal → gradient over reasoning → selection → schedule. State lives in a RunState; each finished step
// is persisted before its `step` event goes out, so a kill or a stop loses at most the step in flight.
import type { RunEvent, Phase } from './events';
import { Rng } from './rng';
import type { GreaterConfig } from './config';
import type { ModelPort } from './model';
import { countsSince, snapshot } from './model';
import { generationBudget, type PromptLayout } from './layout';
import { gluesWords, isPeriodToken, type Vocabulary } from './vocab';
import { neighbourBans, proposalRows, proposeFromRows } from './proposal';
import { candidateScores, controlGradient, heat, rankCandidates } from './gradient';
import {
  assemble, chunks, generateAndScore, generateAndScoreMany, scoreControl, withoutReasonings, type ControlScore, type SampleResult, type ScoreOptions,
} from './scorer';
import { selectCandidate } from './selection';
import { advance, isConverged, isPlateau, periodExitAllowed, stepsSinceBest } from './schedule';
import { ctrlKey, STATE_SCHEMA_VERSION, type RunState, type TopEntry } from './state';
import { addTop } from './top';
import { etaSeconds } from './eta';
import { availableMemory } from '../engine';

export class CancelledError extends Error {
  constructor(readonly mode: 'soft' | 'hard') {
    super(`run cancelled (${mode})`);
    this.name = 'CancelledError';
  }
}

export interface OptimizerContext {
  model: ModelPort;
  layout: PromptLayout;
  vocab: Vocabulary;
  config: GreaterConfig;
  /** Dataset file, for messages. */
  file: string;
  /** Writes the checkpoint; called after every step, before its event. */
  persist(state: RunState): void;
  soft: AbortSignal;
  hard: AbortSignal;
  /** Measured before step 1 (estimate.ts): the ETA of the first step, before any step was timed. */
  expectedStepSeconds?: number;
  /** The estimate's probe generated the starting prompt's first batch exactly as step 1's reasoning pass would. */
  startReasoning?: StartReasoning;
}

/** Reasoning results of the starting prompt for some samples, with the control and budget they were made with. */
export interface StartReasoning {
  ctrl: readonly number[];
  maxNewTokens: number;
  batchSize: number;
  results: ReadonlyMap<number, SampleResult>;
}

export function initialState(ctx: Pick<OptimizerContext, 'layout' | 'config'>): RunState {
  const ctrl = ctx.layout.encodeControl(ctx.config.initialPrompt);
  return {
    schemaVersion: STATE_SCHEMA_VERSION, step: 0, ctrl, pos: 0, initLen: ctrl.length, rng: new Rng(ctx.config.seed).getState(),
    current: null, reasonings: null, cache: [], top: [], unchanged: 0, initial: null, history: [], finished: null, elapsedSeconds: 0,
  };
}

/** `ownFluency`: the score's fluency is of the prompt's own tokens (always for the reasoning pass; for candidates
 *  unless faithful mode scores the pre-edit tokens), so it gives the prompt's perplexity for free. */
function entry(ctx: OptimizerContext, ctrl: readonly number[], s: ControlScore, step: number, ownFluency: boolean): TopEntry {
  const wrong = s.mistakes.reduce((a, b) => a + b, 0);
  return {
    ctrl: [...ctrl], prompt: ctx.layout.controlText(ctrl), score: s.score, accuracy: 1 - wrong / s.mistakes.length, step,
    ...(ownFluency && s.fluency > 0 ? { perplexity: Math.exp(s.fluency) } : {}),
  };
}

/** Runs steps state.step+1 … config.steps, emitting events; returns with state.finished set unless cancelled. */
export async function runSteps(ctx: OptimizerContext, state: RunState, emit: (e: RunEvent) => void): Promise<RunState> {
  const { model: m, layout, vocab, config: cfg } = ctx;
  // Both stops take effect at the next sub-step boundary (a batch of generation, proposal or gradient): the step
  // in flight is dropped, `state` keeps the last finished one (its checkpoint is on disk), so a long step never
  // has to be killed and a soft stop can still evaluate the best prompt so far.
  const check = () => {
    if (ctx.hard.aborted) throw new CancelledError('hard');
    if (ctx.soft.aborted) throw new CancelledError('soft');
  };
  const rng = Rng.fromState(state.rng);
  const N = layout.samples.length;
  const w = cfg.controlWeight / 10;
  const keepBest = cfg.acceptance === 'keep-best';
  let stepSeconds = state.history.length ? state.elapsedSeconds / state.history.length : ctx.expectedStepSeconds ?? 0;

  while (state.step < cfg.steps && !state.finished) {
    if (ctx.soft.aborted) throw new CancelledError('soft');
    const step = state.step + 1;
    const t0 = Date.now();
    const before = snapshot(m);
    const phase = (p: Phase, candidate?: { index: number; total: number }) => emit({
      kind: 'phase', step, phase: p, ...(candidate ? { candidate } : {}),
      etaSeconds: etaSeconds({ stepSeconds, elapsedSeconds: (Date.now() - t0) / 1000, stepsAfter: cfg.steps - step, candidate }),
    });
    const opts: ScoreOptions = { batchSize: cfg.batchSize, maxNewTokens: generationBudget(layout, state.ctrl.length, cfg.maxNewTokens, m.config.maxPositions, ctx.file), selectionWeight: w };
    const cache = new Map(state.cache);
    const reasoningsOf = new Map<string, number[][]>();
    const ctrl = state.ctrl;
    const pos = state.pos;

    // 1. Reasoning of the current control (and its score, from the same pass).
    if (!cfg.reuseReasoning) state.reasonings = null;
    if (!state.reasonings || !state.current) {
      phase('reasoning');
      const pre = ctx.startReasoning;
      const known = pre && ctrlKey(pre.ctrl) === ctrlKey(ctrl) && pre.maxNewTokens === opts.maxNewTokens && pre.batchSize === opts.batchSize ? pre.results : undefined;
      const sc = await scoreControl(m, layout, ctrl, ctrl, opts, check, known);
      state.reasonings = sc.reasonings;
      state.current = withoutReasonings(sc);
      cache.set(ctrlKey(ctrl), state.current);
      const e = entry(ctx, ctrl, state.current, step - 1, true);
      if (!state.initial) state.initial = e;
      state.top = addTop(state.top, e, cfg.topPrompts);
    }

    // 2. Proposal at pos.
    phase('proposal');
    const rows = await proposalRows(m, layout, ctrl, pos, cfg.batchSize, check);
    const proposal = proposeFromRows(rows, vocab.banned, neighbourBans(ctrl, pos, cfg.neighbourBan), ctrl[pos],
      { topK: cfg.topK, topQ: cfg.topQ, groupSize: cfg.intersectionSize, minPool: 2 * cfg.keepForSelection }, rng);

    // 3. Gradient over the current reasoning (or, for the random-search baseline, a seeded random order).
    let ranked: { id: number; score: number }[];
    let heatMap: number[];
    if (cfg.candidateRanking === 'random') {
      ranked = rng.sample(proposal.candidates, proposal.candidates.length).map((id) => ({ id, score: 0 }));
      heatMap = ctrl.map(() => 0);
    } else {
      phase('gradient');
      const gradReasonings = cfg.gradientOverReasoning ? state.reasonings : state.reasonings.map(() => []);
      const grad = await controlGradient(m, layout, ctrl, gradReasonings, { answerTemperature: cfg.answerTemperature, controlWeight: cfg.controlWeight, batchSize: cfg.batchSize }, check);
      ranked = rankCandidates(proposal.candidates, candidateScores(m, proposal.candidates, grad.sum[pos]));
      heatMap = heat(grad.sum);
    }
    const isFiller = ctrl[pos] === vocab.filler;
    const incumbent = keepBest && !isFiller ? state.current : null;
    const chosen: number[] = [];
    for (const r of ranked) {
      if (chosen.length === cfg.keepForSelection) break;
      if (keepBest && r.id === ctrl[pos]) continue; // it competes with its known score, or is a filler placeholder
      if (cfg.requireRoundTrip && !roundTrips(layout, ctrl, pos, r.id)) continue;
      if (cfg.banGluedWords && gluesWords(pos > 0 ? vocab.text(ctrl[pos - 1]) : '', vocab.text(r.id), pos + 1 < ctrl.length ? vocab.text(ctrl[pos + 1]) : '')) continue;
      chosen.push(r.id);
    }
    emit({
      kind: 'candidates', step, position: pos, promptTokens: ctrl.map((id) => vocab.text(id)), heat: heatMap,
      candidates: ranked.map((r) => ({ token: vocab.text(r.id), id: r.id, score: r.score })),
    });

    // 4. Selection.
    let winner = ctrl[pos];
    let score: ControlScore = state.current;
    let kept = true;
    let evaluated = 0;
    const keyOf = (cand: readonly number[]) => (cfg.fluencyOnCandidate ? ctrlKey(cand) : `${ctrlKey(cand)}|${ctrlKey(ctrl)}`);
    const fluencyOf = (cand: readonly number[]) => (cfg.fluencyOnCandidate ? cand : ctrl);
    if (cfg.batchCandidates && !cfg.halving && chosen.length > 1 && candidatesBatchFits(m, layout, ctrl, chosen.length, cfg.batchSize, opts.maxNewTokens)) {
      // Without pruning every chosen candidate is scored in full, so score them together: one generation batch of
      // candidates × samples per chunk (17.6). Same scores; an early "." exit may leave some of them unused.
      const todo = chosen.map((id) => Object.assign(ctrl.slice(), { [pos]: id })).filter((c) => !cache.has(keyOf(c)));
      if (todo.length > 1) {
        // No candidate index: all of them are in flight at once, so the ETA comes from the step time rather than
        // from "1 of K done" (which projected the whole batch as a quarter of the selection and then dropped).
        phase('selection');
        const res = await generateAndScoreMany(m, layout, todo.map((c) => ({ ctrl: c, fluencyTargets: fluencyOf(c) })), chunks(N, cfg.batchSize), opts, check);
        res.forEach((r, k) => {
          const sc = assemble(r, N, w);
          reasoningsOf.set(keyOf(todo[k]), sc.reasonings);
          cache.set(keyOf(todo[k]), withoutReasonings(sc));
        });
      }
    }
    if (chosen.length) {
      const sel = await selectCandidate({
        ctrl, pos, candidates: chosen, incumbent, acceptance: cfg.acceptance, periodExitNeedsNoWorse: cfg.periodExitNeedsNoWorse,
        periodEligible: (id) => isPeriodToken(vocab, id) && periodExitAllowed(pos, state.initLen),
        evaluate: async (cand, prune, k) => {
          evaluated++;
          const fluencyTargets = fluencyOf(cand);
          const key = keyOf(cand);
          const hit = cache.get(key);
          // A known score (scored together above, or in an earlier step) is no work to report progress on.
          if (hit) return hit;
          phase('selection', { index: k + 1, total: chosen.length });
          let sc;
          if (!cfg.halving || !prune) {
            sc = await scoreControl(m, layout, cand, fluencyTargets, opts, check);
          } else {
            // Successive halving: score the first half of the chunks; give up if even zero mistakes and zero
            // fluency loss on the rest could not win (NLL ≥ 0, so the bound is exact and results unchanged, §11 item 6).
            const all = chunks(N, cfg.batchSize);
            const half = all.slice(0, Math.ceil(all.length / 2));
            const r1 = await generateAndScore(m, layout, cand, fluencyTargets, half, opts, check);
            let wrong = 0;
            let nll = 0;
            let perSample = 0;
            for (const v of r1.values()) {
              wrong += v.mistake;
              nll += v.nllSum;
              perSample = v.nllCount;
            }
            const lower = wrong / N + (perSample ? (w * nll) / (perSample * N) : 0);
            if (prune.strict ? lower >= prune.bound : lower > prune.bound) return null;
            const r2 = await generateAndScore(m, layout, cand, fluencyTargets, all.slice(half.length), opts, check);
            for (const [i, v] of r2) r1.set(i, v);
            sc = assemble(r1, N, w);
          }
          reasoningsOf.set(key, sc.reasonings);
          const plain = withoutReasonings(sc);
          cache.set(key, plain);
          return plain;
        },
      });
      winner = sel.winner;
      score = sel.score;
      kept = sel.kept;
    }
    const newCtrl = ctrl.slice();
    newCtrl[pos] = winner;
    const changed = winner !== ctrl[pos];
    if (changed || !kept) {
      const key = keyOf(newCtrl);
      state.reasonings = reasoningsOf.get(key) ?? null; // a cache hit has no reasoning: regenerated next step
      state.current = score;
    }
    const e = entry(ctx, newCtrl, score, step, cfg.fluencyOnCandidate);
    state.top = addTop(state.top, e, cfg.topPrompts);

    // 5. Schedule, stopping rules, checkpoint.
    const adv = advance({ ctrl: newCtrl, pos }, (id) => isPeriodToken(vocab, id), vocab.filler);
    state.ctrl = adv.ctrl;
    state.pos = adv.pos;
    if (adv.grew) { state.current = null; state.reasonings = null; }
    state.unchanged = changed || adv.grew ? 0 : state.unchanged + 1;
    if (score.score < cfg.lossThreshold) {
      if (cfg.thresholdAction === 'stop') state.finished = 'early-stop';
      else { state.pos = 0; state.initLen = state.ctrl.length; } // the reference's restart; the top list is kept
    }
    if (!state.finished && isConverged(state.unchanged, state.ctrl.length, cfg.stopAfterUnchangedSweeps)) {
      state.finished = 'converged';
    }
    if (!state.finished && cfg.plateauStop && state.initial &&
      isPlateau(stepsSinceBest(state.initial.score, [...state.history.map((h) => h.score), score.score]), state.ctrl.length, cfg.plateauSteps)) {
      state.finished = 'plateau';
    }
    state.step = step;
    if (state.step >= cfg.steps && !state.finished) state.finished = 'completed';
    state.rng = rng.getState();
    state.cache = cfg.crossStepCache ? [...cache] : [];
    const seconds = (Date.now() - t0) / 1000;
    state.elapsedSeconds += seconds;
    const counts = countsSince(m, before);
    state.history.push({
      step, position: pos, prompt: e.prompt, score: score.score, accuracy: e.accuracy, candidates: proposal.candidates.length,
      evaluated, kept, counts, seconds,
    });
    stepSeconds = state.elapsedSeconds / state.history.length;
    ctx.persist(state);
    emit({
      kind: 'step', step, totalSteps: cfg.steps, position: pos, prompt: e.prompt, promptTokens: newCtrl.map((id) => vocab.text(id)),
      score: score.score, accuracy: e.accuracy, bestScore: state.top[0].score, bestPrompt: state.top[0].prompt,
      etaSeconds: Math.round(stepSeconds * (cfg.steps - step)), counts,
    });
  }
  return state;
}

/** §13 item 5: the candidate control must come back unchanged from decode → encode. */
function roundTrips(layout: PromptLayout, ctrl: readonly number[], pos: number, id: number): boolean {
  const c = ctrl.slice();
  c[pos] = id;
  const back = layout.encodeControl(layout.controlText(c));
  return back.length === c.length && back.every((t, i) => t === c[i]);
}

/**
 * Whether a batch of all candidates × samples leaves room: its KV cache (rows × (prompt + reasoning) tokens) within
 * a quarter of free memory. One candidate's batch is what a step needs anyway; this many at once must not be what
 * runs the machine out of memory (a 4B model's 27 rows × 1,600 tokens is 12 GB of cache).
 */
export function candidatesBatchFits(m: ModelPort, layout: PromptLayout, ctrl: readonly number[], candidates: number, batchSize: number, maxNewTokens: number, free: number = availableMemory()): boolean {
  const { numLayers, numKvHeads, headDim } = m.config;
  if (!numLayers || !numKvHeads || !headDim) return true;
  const longest = Math.max(...layout.samples.map((s) => layout.promptIds(s, ctrl).length));
  const rows = candidates * Math.min(batchSize, layout.samples.length);
  return rows * (longest + maxNewTokens) * 2 * numLayers * numKvHeads * headDim * 4 <= free / 4;
}
