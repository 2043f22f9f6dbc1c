// report.md: the human-readable face of report.json (same numbers, nothing computed here).
import type { Comparison, PromptEvaluation } from './evaluation';
import type { TopEntry } from './state';

/** report.json's contract. */
export interface EvaluationReport {
  model: string;
  /** base URL when `model` was reached through an OpenAI-compatible endpoint (no teacher forcing there) */
  endpoint?: string;
  initial: PromptEvaluation;
  best: PromptEvaluation[];
  comparison: Comparison | null;
}

export interface RunReport {
  schemaVersion: number;
  runId: string;
  finished: string;
  steps: number;
  model: string;
  task: string;
  extractor: string;
  faithful: boolean;
  initial: TopEntry | null;
  best: TopEntry[];
  last: { prompt: string; ctrl: number[] };
  heldOut: EvaluationReport | null;
  transfer: EvaluationReport | null;
  /** why the transfer check failed (the run's own result stands) */
  transferError?: string;
  /** readability: the model's perplexity of the initial prompt and of each top prompt (same order as `best`) */
  readability?: { initial: number; top: number[] } | null;
  totals: { forwardPasses: number; backwardPasses: number; generatedTokens: number; seconds: number };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ppl = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));

function evalSection(title: string, r: EvaluationReport): string[] {
  const lines = [`## ${title} (${r.model}${r.endpoint ? ` at ${r.endpoint}` : ''})`, '', '| prompt | correct | accuracy | teacher-forced |', '|---|---|---|---|'];
  const forced = (e: EvaluationReport['initial']) => (r.endpoint ? 'n/a' : pct(e.forcedAccuracy));
  const row = (label: string, e: EvaluationReport['initial']) => lines.push(`| ${label}: ${e.prompt.replace(/\|/g, '\\|')} | ${e.correct}/${e.total} | ${pct(e.accuracy)} | ${forced(e)} |`);
  row('initial', r.initial);
  r.best.forEach((b, i) => row(`best #${i + 1}`, b));
  if (r.comparison) {
    const c = r.comparison;
    lines.push('', `Best vs initial, per example: ${c.wins.length} wins, ${c.losses.length} losses, ${c.bothRight} both right, ${c.bothWrong} both wrong.`);
    if (c.wins.length) lines.push(`Wins (data rows): ${c.wins.join(', ')}`);
    if (c.losses.length) lines.push(`Losses (data rows): ${c.losses.join(', ')}`);
  }
  if (r.best.length) lines.push('', ...exampleTable(r.initial, r.best[0]));
  lines.push('');
  return lines;
}

/** One markdown cell: no pipes or line breaks, long text cut. */
function cell(text: string | null, max = 80): string {
  if (text === null) return '(none)';
  const flat = text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Initial vs best prompt per held-out example: the gold answer and what each prompt's reasoning led to. */
function exampleTable(initial: PromptEvaluation, best: PromptEvaluation): string[] {
  const byIndex = new Map(best.examples.map((e) => [e.index, e]));
  const mark = (ok: boolean) => (ok ? '✓' : '✗');
  return [
    '### Per example: initial vs best #1', '', '| row | question | gold | initial | best #1 |', '|---|---|---|---|---|',
    ...initial.examples.map((a) => {
      const b = byIndex.get(a.index);
      return `| ${a.line} | ${cell(a.question)} | ${cell(a.gold, 30)} | ${mark(a.correct)} ${cell(a.answer, 30)} | ${b ? `${mark(b.correct)} ${cell(b.answer, 30)}` : '–'} |`;
    }),
  ];
}

export function renderReportMarkdown(r: RunReport): string {
  const lines = [
    `# GReaTer run ${r.runId}`, '',
    `Model ${r.model}, task ${r.task} (extractor ${r.extractor})${r.faithful ? ', --faithful' : ''}; ${r.steps} steps, finished: ${r.finished}.`, '',
    `Passes: ${r.totals.forwardPasses} forward, ${r.totals.backwardPasses} backward, ${r.totals.generatedTokens} generated tokens, ${r.totals.seconds.toFixed(1)} s.`, '',
    '## Top prompts (training score = mistakes + 0.02 × fluency; perplexity: how the model reads the prompt, lower is more natural)', '',
    '| # | score | train acc. | perplexity | step | prompt |', '|---|---|---|---|---|---|',
    ...r.best.map((b, i) => `| ${i + 1} | ${b.score.toFixed(4)} | ${pct(b.accuracy)} | ${ppl(r.readability?.top[i])} | ${b.step} | ${b.prompt.replace(/\|/g, '\\|')} |`), '',
  ];
  if (r.initial) lines.push(`Initial prompt: score ${r.initial.score.toFixed(4)}, train accuracy ${pct(r.initial.accuracy)}, perplexity ${ppl(r.readability?.initial)}.`, '');
  lines.push(`Last prompt: ${r.last.prompt}`, '');
  if (r.heldOut) lines.push(...evalSection('Held-out evaluation', r.heldOut));
  if (r.transfer) lines.push(...evalSection('Transfer evaluation', r.transfer));
  if (r.transferError) lines.push('## Transfer evaluation', '', `Not available: ${r.transferError}`, '');
  return lines.join('\n');
}
