// Every GReaTer hyperparameter (ALGORITHM §10) plus our §13 decisions, as one typed config with the
// reference defaults. `faithful: true` switches the §13 behaviours back to the reference semantics where
// those are well defined (docs/algorithm-decisions.md lists which field implements which item).
import { UserError } from '../engine';

export type Acceptance = 'keep-best' | 'always-replace';
export type NeighbourBan = 'both' | 'previous-wrapping';
export type ThresholdAction = 'stop' | 'restart';

export interface GreaterConfig {
  /** Reference semantics for the §13 items (see FAITHFUL_OVERRIDES). */
  faithful: boolean;
  /** User turn; "{question}" and "{control}" must each appear once (§2: "{question}. Use {control}"). */
  promptTemplate: string;
  /** Initial control text (§2, the reference's control_init without its leading space). */
  initialPrompt: string;
  /** Between the generated reasoning and the extractor (§13 item 9; the Llama reference used " "). */
  reasoningJoiner: string;
  steps: number;
  trainSize: number;
  /** Held-out examples evaluated at the end (0 = none). */
  heldOutSize: number;
  /** Shuffle before the split (false = the reference's first-N rows). */
  shuffleSplit: boolean;
  seed: number;
  topK: number;
  topQ: number;
  /** Samples per random intersection group (§5, hard-coded 5). */
  intersectionSize: number;
  /** Candidates evaluated per step; the pool must reach 2× this (§7, minimum_keep_for_selection). */
  keepForSelection: number;
  /** Focused-answer CE temperature in the gradient loss (§4a). */
  answerTemperature: number;
  /** Fluency weight in the gradient loss (§4a); selection uses controlWeight / 10 (§4b). */
  controlWeight: number;
  maxNewTokens: number;
  batchSize: number;
  /** Step score below which the threshold action fires (§8, loss_threshold). */
  lossThreshold: number;
  thresholdAction: ThresholdAction;
  /** Prompts kept in the global top-k list (§13 item 14). */
  topPrompts: number;
  /** How many of the top prompts are evaluated on the held-out set (best first). */
  evaluateTop: number;
  /** Answer tokens generated after the extractor in held-out evaluation (§9; numbers get +4). */
  evalAnswerTokens: number;
  /** Gradient through the current reasoning (§6); false = the paper's "gradient without reasoning" ablation (§13 item 12). */
  gradientOverReasoning: boolean;
  /** How candidates from the proposal pool are ordered for selection: by the gradient (GReaTer), or at random
   *  (the random-search baseline: same pool, same number evaluated, no gradient computed). */
  candidateRanking: 'gradient' | 'random';
  /** The selected candidate's reasoning is the next step's current reasoning (§11 item 1; greedy decoding
   *  makes regeneration identical, so this only saves work). false = regenerate every step, the reference's cost. */
  reuseReasoning: boolean;
  /** Score a step's candidates together, candidates × samples rows per generation batch (no effect on results),
   *  where their KV cache fits in a quarter of free memory (optimizer.ts, candidatesBatchFits). The 17 GB that once
   *  killed a 0.5B-shaped quick run with it on was the unbounded input gradient (now micro-batched). */
  batchCandidates: boolean;
  /** Successive halving in selection: prune candidates that provably cannot win (no effect on results). */
  halving: boolean;
  /** Stop when this many full sweeps changed nothing (0 = never; §13 item 5 loop detection). */
  stopAfterUnchangedSweeps: number;
  /** Stop once the best score has not improved for plateauSteps steps in a row (17.5: most of a run's time
   *  used to come after its best prompt was found). */
  plateauStop: boolean;
  /** Steps without a better score before the plateau stop; 0 = one sweep, i.e. the prompt's length in tokens. */
  plateauSteps: number;
  /** Time the model for a few seconds before step 1 and log the run's estimated duration (issue 17.4). */
  estimate: boolean;
  /** Refuse to start when the estimate exceeds this many minutes (0 = no limit). */
  maxMinutes: number;
  // §13 decisions, each switchable (faithful sets the reference value).
  acceptance: Acceptance;
  neighbourBan: NeighbourBan;
  /** Ban every special/added token and ids beyond the tokenizer (§13 item 7). */
  banAllSpecial: boolean;
  /** Ban whitespace-only tokens (§13 item 5). */
  banWhitespace: boolean;
  /** Candidate must survive decode → encode unchanged (§13 item 5, GCG's filter_cand). */
  requireRoundTrip: boolean;
  /** Never propose a token that glues two words ("workingTherefore"): the prompt must stay readable (issue 15). */
  banGluedWords: boolean;
  /** Selection fluency scores the candidate's own tokens (§13 item 2); false = the reference's stale targets. */
  fluencyOnCandidate: boolean;
  /** Keep scores of evaluated controls across steps (§13 item 4); false = cleared every step. */
  crossStepCache: boolean;
  /** The "."-candidate early exit also requires a score no worse than the current prompt's. */
  periodExitNeedsNoWorse: boolean;
}

export const DEFAULT_CONFIG: Readonly<GreaterConfig> = Object.freeze({
  faithful: false,
  promptTemplate: '{question}. Use {control}',
  initialPrompt: 'proper logical reasoning and think step by step. Finally give the actual correct answer.',
  reasoningJoiner: ' ',
  steps: 125,
  trainSize: 50,
  heldOutSize: 100,
  shuffleSplit: true,
  seed: 0,
  topK: 40,
  topQ: 6,
  intersectionSize: 5,
  keepForSelection: 3,
  answerTemperature: 0.2,
  controlWeight: 0.2,
  maxNewTokens: 1024,
  batchSize: 9,
  lossThreshold: 0.12,
  thresholdAction: 'stop',
  topPrompts: 10,
  evaluateTop: 1,
  evalAnswerTokens: 8,
  gradientOverReasoning: true,
  candidateRanking: 'gradient',
  reuseReasoning: true,
  batchCandidates: true,
  halving: false,
  stopAfterUnchangedSweeps: 2,
  plateauStop: true,
  plateauSteps: 0,
  estimate: true,
  maxMinutes: 0,
  acceptance: 'keep-best',
  neighbourBan: 'both',
  banAllSpecial: true,
  banWhitespace: true,
  requireRoundTrip: true,
  banGluedWords: true,
  fluencyOnCandidate: true,
  crossStepCache: true,
  periodExitNeedsNoWorse: true,
});

/** What --faithful changes: the reference's behaviour for the §13 items that have one. */
export const FAITHFUL_OVERRIDES: Readonly<Partial<GreaterConfig>> = Object.freeze({
  faithful: true,
  acceptance: 'always-replace',
  neighbourBan: 'previous-wrapping',
  banAllSpecial: false,
  banWhitespace: false,
  requireRoundTrip: false,
  banGluedWords: false,
  fluencyOnCandidate: false,
  crossStepCache: false,
  periodExitNeedsNoWorse: false,
  thresholdAction: 'restart',
  stopAfterUnchangedSweeps: 0,
  plateauStop: false,
  shuffleSplit: false,
});

const ENUMS: Partial<Record<keyof GreaterConfig, readonly string[]>> = {
  acceptance: ['keep-best', 'always-replace'],
  candidateRanking: ['gradient', 'random'],
  neighbourBan: ['both', 'previous-wrapping'],
  thresholdAction: ['stop', 'restart'],
};

const POSITIVE_INTS: (keyof GreaterConfig)[] = ['steps', 'trainSize', 'topK', 'topQ', 'intersectionSize', 'keepForSelection', 'maxNewTokens', 'batchSize', 'topPrompts', 'evaluateTop', 'evalAnswerTokens'];
/**
 * Upper bounds far above any sensible run, so that a slip such as `--steps 1e9` is an error and not a
 * 92-year ETA. The paper's values are 125 steps, 50 samples, top-k 40, 1024 reasoning tokens.
 */
const UPPER_BOUNDS: Partial<Record<keyof GreaterConfig, number>> = {
  steps: 100_000, trainSize: 1_000_000, topK: 10_000, topQ: 1_000, intersectionSize: 10_000, keepForSelection: 10_000,
  maxNewTokens: 131_072, batchSize: 4_096, topPrompts: 1_000, evaluateTop: 1_000, evalAnswerTokens: 4_096,
};
const NON_NEGATIVE_INTS: (keyof GreaterConfig)[] = ['heldOutSize', 'stopAfterUnchangedSweeps', 'plateauSteps', 'maxMinutes'];

/**
 * Defaults ← (faithful overrides if asked) ← explicit overrides. An unknown key or a value of the wrong
 * type is an error naming the key, the value and what was expected (nanoGPT configurator style).
 */
export function makeConfig(overrides: Record<string, unknown> = {}, source = 'config'): GreaterConfig {
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in DEFAULT_CONFIG)) throw new UserError(`${source}: unknown setting '${k}'; known settings: ${Object.keys(DEFAULT_CONFIG).join(', ')}`);
    const def = (DEFAULT_CONFIG as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== typeof def) {
      throw new UserError(`${source}: setting '${k}' must be a ${typeof def} (like the default ${JSON.stringify(def)}), got ${JSON.stringify(v)}`);
    }
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const cfg = { ...DEFAULT_CONFIG, ...(defined.faithful === true ? FAITHFUL_OVERRIDES : {}), ...defined } as GreaterConfig;
  validateConfig(cfg, source);
  return cfg;
}

export function validateConfig(cfg: GreaterConfig, source = 'config'): void {
  for (const k of POSITIVE_INTS) {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new UserError(`${source}: ${k} must be a positive integer, got ${v}`);
  }
  for (const k of NON_NEGATIVE_INTS) {
    const v = cfg[k] as number;
    if (!Number.isInteger(v) || v < 0) throw new UserError(`${source}: ${k} must be a non-negative integer, got ${v}`);
  }
  for (const [k, max] of Object.entries(UPPER_BOUNDS)) {
    const v = (cfg as unknown as Record<string, number>)[k];
    if (v > max!) throw new UserError(`${source}: ${k} must be at most ${max}, got ${v}`);
  }
  if (!Number.isSafeInteger(cfg.seed)) throw new UserError(`${source}: seed must be an integer, got ${cfg.seed}`);
  for (const [k, allowed] of Object.entries(ENUMS)) {
    const v = (cfg as unknown as Record<string, unknown>)[k];
    if (!allowed!.includes(v as string)) throw new UserError(`${source}: ${k} must be one of ${allowed!.join(', ')}, got ${JSON.stringify(v)}`);
  }
  for (const k of ['answerTemperature'] as const) if (!(cfg[k] > 0)) throw new UserError(`${source}: ${k} must be > 0, got ${cfg[k]}`);
  if (!(cfg.controlWeight >= 0)) throw new UserError(`${source}: controlWeight must be >= 0, got ${cfg.controlWeight}`);
  for (const ph of ['{question}', '{control}']) {
    const n = cfg.promptTemplate.split(ph).length - 1;
    if (n !== 1) throw new UserError(`${source}: promptTemplate must contain ${ph} exactly once, found ${n} in ${JSON.stringify(cfg.promptTemplate)}`);
  }
  // Zero-width and other format characters are invisible: a prompt of only those is empty to a reader.
  if (!/[\p{L}\p{N}\p{P}\p{S}]/u.test(cfg.initialPrompt)) throw new UserError(`${source}: the initial prompt has no visible text; expected a few words to start from, e.g. "${DEFAULT_CONFIG.initialPrompt}"`);
}
