// The live view of a run: phase and ETA, Stop, the score/accuracy chart, the current prompt with the edited
// position, the candidates of the last proposal and the gradient heat map, and the run's log.
import { formatDuration } from '../shared/estimate';
import { lineChart } from './chart';
import { h } from './dom';
import { button, type ViewContext } from './view';

export function renderPromptTokens(tokens: string[], position: number | undefined, heat?: number[]): HTMLElement {
  const max = heat && heat.length ? Math.max(...heat.map(Math.abs), 1e-12) : 0;
  return h('div', { class: 'tokens', id: 'prompt-tokens' }, ...tokens.map((t, i) => {
    const el = h('span', { class: `tok${i === position ? ' edited' : ''}`, title: heat ? `|grad| ${(heat[i] ?? 0).toExponential(2)}` : '' }, t);
    if (heat && heat[i] !== undefined) el.style.setProperty('--heat', (Math.abs(heat[i]) / max).toFixed(3));
    return el;
  }));
}

let stop: HTMLButtonElement | undefined;

/**
 * The one Stop button, moved into each new rendering rather than made anew: a fast run re-renders every frame, and
 * a press must land on the element it started on (a replaced button loses the click).
 */
function stopButton(ui: ViewContext, label: string): HTMLButtonElement {
  stop ??= button('stop', label, () => ui.post({ type: 'stop' }), { secondary: true });
  if (stop.textContent !== label) stop.textContent = label;
  return stop;
}

export function renderLive(ui: ViewContext): HTMLElement | null {
  const r = ui.state.run;
  if (r.state === 'idle' && !r.last && !r.done) return null;
  const live = r.state === 'running' || r.state === 'cancelling' || r.state === 'starting';
  const phase = r.phase;
  // the newest figure (the fold keeps the latest of phase and step events): it moves within a step
  const eta = r.etaSeconds;
  const status = r.state === 'starting' ? 'starting the worker…'
    : r.state === 'cancelling' ? phase?.phase === 'evaluation' ? 'stopping: checking the best prompt so far on the held-out examples…' : 'stopping…'
      : phase && live ? `step ${phase.step}${r.totalSteps ? `/${r.totalSteps}` : ''} · ${phase.phase}${phase.candidate ? ` ${phase.candidate.index}/${phase.candidate.total}` : ''}`
        : r.state === 'finished' && r.done?.reason === 'cancelled' ? 'stopped' : r.state;
  const c = r.candidates;
  return h('section', { id: 'live' },
    h('h2', {}, 'Run', r.runId ? h('span', { class: 'badge' }, r.runId) : null),
    h('div', { class: 'row' },
      h('span', { id: 'phase', class: `status status-${r.state}` }, status),
      h('span', { id: 'step-count', class: 'hint' }, r.last ? `step ${r.last.step}/${r.last.totalSteps} · best ${r.last.bestScore.toFixed(4)}` : ''),
      eta !== undefined && live ? h('span', { id: 'eta', class: 'hint' }, `ETA ${formatDuration(eta)}`) : null,
      live ? stopButton(ui, r.state === 'cancelling' ? 'Stop now' : 'Stop') : null,
    ),
    r.message ? h('p', { id: 'run-message', class: r.state === 'failed' ? 'error' : 'hint' }, r.message) : null,
    lineChart(r.points),
    h('div', { class: 'legend' }, h('span', { class: 'key key-score' }, 'score'), h('span', { class: 'key key-accuracy' }, 'accuracy')),
    r.last ? h('div', {},
      h('h3', {}, `Current prompt (position ${r.last.position} edited)`),
      renderPromptTokens(r.last.promptTokens, r.last.position),
    ) : null,
    c ? h('div', {},
      h('h3', {}, `Candidates for position ${c.position} (step ${c.step})`),
      h('ol', { class: 'candidates', id: 'candidates' }, ...c.candidates.slice(0, 12).map((x) =>
        h('li', {}, h('code', {}, JSON.stringify(x.token)), h('span', { class: 'hint' }, ` ${x.score.toFixed(4)}`)))),
      h('h3', {}, 'Gradient heat map'),
      renderPromptTokens(c.promptTokens, c.position, c.heat),
    ) : null,
    r.logs.length ? h('details', {}, h('summary', {}, `log (${r.logs.length})`), h('pre', { class: 'log' }, r.logs.join('\n'))) : null,
  );
}

