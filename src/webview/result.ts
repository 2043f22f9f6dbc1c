// The result view, once a run has ended: held-out accuracy and readability before → after, the top prompts to
// pick from, the picked (by default the best) prompt and its word diff against the initial prompt, Apply / Copy /
// Revert / Resume, and the held-out set example by example. When the held-out accuracy did not improve (or the
// readability collapsed) the primary action is "Keep original" and Apply becomes "Apply anyway".
import { diffWords } from '../shared/diff';
import { h } from './dom';
import type { HeldOutExample, TopPrompt } from '../shared/panelMessages';
import { applyAdvice } from './state';
import { renderTransferResult } from './transfer';
import { button, type ViewContext } from './view';

export function renderResult(ui: ViewContext): HTMLElement | null {
  const r = ui.state.run;
  const best = r.done?.bestPrompt ?? r.last?.bestPrompt;
  // only once the run has ended: while stopping, the best prompt can still change
  if (!best || (r.state !== 'finished' && r.state !== 'failed')) return null;
  const report = ui.state.report?.runId === r.runId ? ui.state.report : undefined;
  const top = report?.top ?? [];
  const chosen = top.find((t) => t.prompt === ui.state.chosenPrompt);
  const prompt = chosen?.prompt ?? best;
  const before = r.initialPrompt ?? ui.state.session.source?.optimizable ?? ui.state.form.prompt;
  const pct = (x?: number) => (x === undefined ? '?' : `${(x * 100).toFixed(1)}%`);
  const ppl = (x?: number) => (x === undefined ? '?' : x.toFixed(1));
  const initialAcc = r.done?.initialAccuracy ?? r.initialEval?.accuracy;
  // a picked prompt other than the best has its own held-out accuracy only if the run evaluated it
  const bestAcc = chosen ? chosen.heldOutAccuracy : r.done?.bestAccuracy ?? r.bestEval?.accuracy;
  const initialPpl = report?.initialPerplexity ?? r.initialEval?.perplexity;
  const bestPpl = chosen ? chosen.perplexity : top[0]?.perplexity ?? r.bestEval?.perplexity;
  const diff = h('p', { class: 'diff', id: 'diff' }, ...diffWords(before, prompt).map((d) => h(d.op === 'add' ? 'ins' : d.op === 'del' ? 'del' : 'span', {}, d.text)));
  const advice = applyAdvice({ initialPrompt: before, bestPrompt: prompt, initialAccuracy: initialAcc, bestAccuracy: bestAcc, initialPerplexity: initialPpl, bestPerplexity: bestPpl });
  const keep = advice.recommend === 'keep';
  const canApply = !!ui.state.session.source || !!r.runId;
  return h('section', { id: 'result' },
    h('h2', {}, 'Result'),
    initialAcc !== undefined || bestAcc !== undefined
      ? h('p', { id: 'accuracy' }, `Held-out accuracy: ${pct(initialAcc)} → ${pct(bestAcc)}`) : h('p', { class: 'hint' }, 'No held-out evaluation (the run was stopped before it).'),
    renderTransferResult(ui),
    initialPpl !== undefined || bestPpl !== undefined
      ? h('p', { id: 'readability', class: 'hint' }, `Readability (the model's perplexity of the prompt; lower reads more naturally): ${ppl(initialPpl)} → ${ppl(bestPpl)}`) : null,
    top.length > 1 ? renderTopPicker(ui, top, prompt) : null,
    h('h3', {}, chosen && chosen !== top[0] ? 'Picked prompt' : 'Best prompt'),
    h('pre', { id: 'best-prompt', class: 'prompt' }, prompt),
    h('h3', {}, 'Change'),
    diff,
    keep ? h('p', { class: 'warning', id: 'apply-advice' }, advice.reason ?? '') : null,
    h('div', { class: 'row' },
      keep ? button('keep-original', 'Keep original', () => ui.update((s) => { s.applyMessage = 'Kept the original prompt; nothing was written.'; s.applyError = undefined; })) : null,
      button('apply', keep ? 'Apply anyway' : 'Apply', () => ui.post({ type: 'apply', prompt }), { secondary: keep, disabled: !canApply }),
      button('copy', 'Copy', () => ui.post({ type: 'copy', prompt }), { secondary: true }),
      button('revert', 'Revert', () => ui.post({ type: 'revert' }), { secondary: true, disabled: !ui.state.applied }),
      r.resumable ? button('resume', 'Resume', () => ui.post({ type: 'resume' }), { secondary: true }) : null,
    ),
    ui.state.applyMessage ? h('p', { id: 'apply-message', class: 'hint' }, ui.state.applyMessage) : null,
    ui.state.applyError ? h('p', { id: 'apply-error', class: 'error' }, ui.state.applyError) : null,
    report?.examples ? renderExamples(report.examples) : null,
  );
}

/** The run's top prompts, to pick a more readable one of nearly the same score before Apply. */
function renderTopPicker(ui: ViewContext, top: TopPrompt[], picked: string): HTMLElement {
  const pct = (x?: number) => (x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
  // a plain section, not a <details>: re-rendering after a pick must not fold the list away
  return h('div', { id: 'top-prompts' },
    h('h3', {}, `Top prompts (${top.length}): pick one that reads better at nearly the same score`),
    h('table', { class: 'preview' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'prompt'), h('th', {}, 'score'), h('th', {}, 'train acc.'), h('th', {}, 'held-out acc.'), h('th', {}, 'perplexity'))),
      h('tbody', {}, ...top.map((t, i) => h('tr', {},
        h('td', {}, h('input', {
          type: 'radio', name: 'top', id: `top-${i}`, checked: t.prompt === picked,
          onchange: () => ui.update((s) => { s.chosenPrompt = i === 0 ? undefined : t.prompt; s.applyMessage = s.applyError = undefined; }),
        })),
        h('td', {}, h('label', { for: `top-${i}` }, t.prompt)), h('td', {}, t.score.toFixed(4)), h('td', {}, pct(t.trainAccuracy)),
        h('td', {}, pct(t.heldOutAccuracy)), h('td', {}, t.perplexity === undefined ? '–' : t.perplexity.toFixed(1)))))));
}

/** Initial vs best prompt on each held-out example; a row's question opens both reasonings. */
function renderExamples(rows: HeldOutExample[]): HTMLElement {
  const side = (x?: HeldOutExample['initial']) => (x ? `${x.correct ? '✓' : '✗'} ${x.answer ?? '(none)'}` : '–');
  const changed = rows.filter((x) => x.best && x.best.correct !== x.initial.correct).length;
  return h('details', { id: 'examples', open: true },
    h('summary', {}, `Held-out examples: ${rows.length} (${changed} changed between the initial and the best prompt)`),
    h('table', { class: 'preview examples' },
      h('thead', {}, h('tr', {}, h('th', {}, 'line'), h('th', {}, 'question (click for the reasoning)'), h('th', {}, 'gold'), h('th', {}, 'initial'), h('th', {}, 'best'))),
      h('tbody', {}, ...rows.map((x) => h('tr', { class: x.best && x.best.correct !== x.initial.correct ? (x.best.correct ? 'ok' : 'bad') : '' },
        h('td', {}, x.line),
        h('td', {}, h('details', {},
          h('summary', { title: x.question }, x.question.length > 120 ? `${x.question.slice(0, 119)}…` : x.question),
          h('p', { class: 'hint' }, 'Initial prompt reasoned: '), h('pre', { class: 'log' }, x.initial.reasoning),
          x.best ? h('p', { class: 'hint' }, 'Best prompt reasoned: ') : null, x.best ? h('pre', { class: 'log' }, x.best.reasoning) : null)),
        h('td', {}, x.gold), h('td', {}, side(x.initial)), h('td', {}, side(x.best)))))));
}

