// The result view, once a run has ended: held-out accuracy before → after, the best prompt, its word diff
// against the initial prompt, and Apply / Copy / Revert / Resume. When the held-out accuracy did not improve the
// primary action is "Keep original" and Apply becomes "Apply anyway".
import { diffWords } from '../shared/diff';
import { h } from './dom';
import type { HeldOutExample } from '../shared/panelMessages';
import { applyAdvice } from './state';
import { button, type ViewContext } from './view';

export function renderResult(ui: ViewContext): HTMLElement | null {
  const r = ui.state.run;
  const best = r.done?.bestPrompt ?? r.last?.bestPrompt;
  // only once the run has ended: while stopping, the best prompt can still change
  if (!best || (r.state !== 'finished' && r.state !== 'failed')) return null;
  const before = r.initialPrompt ?? ui.state.session.source?.optimizable ?? ui.state.form.prompt;
  const pct = (x?: number) => (x === undefined ? '?' : `${(x * 100).toFixed(1)}%`);
  const initialAcc = r.done?.initialAccuracy ?? r.initialEval?.accuracy;
  const bestAcc = r.done?.bestAccuracy ?? r.bestEval?.accuracy;
  const diff = h('p', { class: 'diff', id: 'diff' }, ...diffWords(before, best).map((d) => h(d.op === 'add' ? 'ins' : d.op === 'del' ? 'del' : 'span', {}, d.text)));
  const advice = applyAdvice({ initialPrompt: before, bestPrompt: best, initialAccuracy: initialAcc, bestAccuracy: bestAcc });
  const keep = advice.recommend === 'keep';
  const canApply = !!ui.state.session.source || !!r.runId;
  return h('section', { id: 'result' },
    h('h2', {}, 'Result'),
    initialAcc !== undefined || bestAcc !== undefined
      ? h('p', { id: 'accuracy' }, `Held-out accuracy: ${pct(initialAcc)} → ${pct(bestAcc)}`) : h('p', { class: 'hint' }, 'No held-out evaluation (the run was stopped before it).'),
    h('h3', {}, 'Best prompt'),
    h('pre', { id: 'best-prompt', class: 'prompt' }, best),
    h('h3', {}, 'Change'),
    diff,
    keep ? h('p', { class: 'warning', id: 'apply-advice' }, advice.reason ?? '') : null,
    h('div', { class: 'row' },
      keep ? button('keep-original', 'Keep original', () => ui.update((s) => { s.applyMessage = 'Kept the original prompt; nothing was written.'; s.applyError = undefined; })) : null,
      button('apply', keep ? 'Apply anyway' : 'Apply', () => ui.post({ type: 'apply', prompt: best }), { secondary: keep, disabled: !canApply }),
      button('copy', 'Copy', () => ui.post({ type: 'copy', prompt: best }), { secondary: true }),
      button('revert', 'Revert', () => ui.post({ type: 'revert' }), { secondary: true, disabled: !ui.state.applied }),
      r.resumable ? button('resume', 'Resume', () => ui.post({ type: 'resume' }), { secondary: true }) : null,
    ),
    ui.state.applyMessage ? h('p', { id: 'apply-message', class: 'hint' }, ui.state.applyMessage) : null,
    ui.state.applyError ? h('p', { id: 'apply-error', class: 'error' }, ui.state.applyError) : null,
    ui.state.examples && ui.state.examples.runId === r.runId ? renderExamples(ui.state.examples.rows) : null,
  );
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

