// Budget presets (issue 17.3): named sets of the settings that decide a run's cost, so a person can choose a run
// that fits their machine without knowing GReaTer's hyperparameters. `paper` is the reference's schedule (ALGORITHM
// §10: 50 samples, 1024 reasoning tokens, top-k 40, 125 steps); explicit settings always win over a preset.
import type { GreaterConfig } from './config';
import { extrapolate, type MeasuredCosts } from './estimate';
import { formatDuration } from './events';
import { UserError } from '../engine';

export type BudgetSettings = Pick<GreaterConfig, 'trainSize' | 'heldOutSize' | 'maxNewTokens' | 'topK' | 'steps'>;

export const BUDGETS = {
  /** Minutes on a laptop CPU for a 0.5B model: few samples, short reasoning, a short search (plateau stop on). The
   *  sizes are whole batches of the default 9: a tenth sample was a second generation batch per candidate, which
   *  on a CPU costs most of what the first does (a decode step reads every weight whatever the rows). */
  quick: { trainSize: 9, heldOutSize: 27, maxNewTokens: 96, topK: 20, steps: 20 },
  standard: { trainSize: 25, heldOutSize: 50, maxNewTokens: 256, topK: 40, steps: 60 },
  paper: { trainSize: 50, heldOutSize: 100, maxNewTokens: 1024, topK: 40, steps: 125 },
} as const satisfies Record<string, BudgetSettings>;

export type BudgetName = keyof typeof BUDGETS;
export const BUDGET_NAMES = Object.keys(BUDGETS) as BudgetName[];

export function parseBudget(s: string): BudgetName {
  if ((BUDGET_NAMES as string[]).includes(s)) return s as BudgetName;
  throw new UserError(`unknown budget '${s}'; valid budgets: ${BUDGET_NAMES.join(', ')}`);
}

/**
 * A run's estimate under another budget, from the costs measured for this one: the per-batch costs carry over, and the
 * reasoning length is capped at the budget's (its decode steps priced at the measured step cost).
 */
export function estimateUnder(c: MeasuredCosts, cfg: GreaterConfig, budget: BudgetName, available: number): number {
  const b = BUDGETS[budget];
  const reasoningSteps = Math.min(c.reasoningSteps, b.maxNewTokens);
  const fewer = c.reasoningSteps - reasoningSteps;
  const costs: MeasuredCosts = {
    ...c, reasoningSteps, evalBatchSeconds: Math.max(0, c.evalBatchSeconds - c.decodeStepSeconds * fewer),
    ...(c.candidates ? { candidates: { ...c.candidates, batchSeconds: Math.max(0, c.candidates.batchSeconds - c.candidates.stepSeconds * fewer) } } : {}),
  };
  // the training and held-out sets are cut from the same file: a preset cannot use more examples than it has
  const train = Math.min(b.trainSize, Math.max(1, available - 1));
  const heldOut = Math.min(b.heldOutSize, Math.max(0, available - train));
  return extrapolate(costs, { ...cfg, ...b }, train, heldOut).totalSeconds;
}

/** Past this, the pre-run estimate line is followed by what each budget would take. */
export const BUDGET_HINT_SECONDS = 30 * 60;

export function describeBudgets(c: MeasuredCosts, cfg: GreaterConfig, available: number): string {
  return `the budgets on this model and device: ${BUDGET_NAMES.map((n) => `${n} about ${formatDuration(estimateUnder(c, cfg, n, available))}`).join(', ')} (--budget NAME)`;
}
