// The optimizer panel's UI (bundled to media/webview.js). Three stages in one view model: setup (dataset
// + preview + column mapping, extractor + dry run, model / device / budget + estimate), live (phase, ETA,
// chart, prompt with the edited position, candidates, gradient heat map, Stop) and result (accuracy before
// → after, diff, Apply / Copy / Revert / Resume). The view model and its reducers live in state.ts and are
// kept with setState, so hiding the tab or reloading the window loses nothing. All user text is set through
// textContent (dom.ts).
import { diffWords } from '../shared/diff';
import { estimateRun, formatBytes, formatDuration } from '../shared/estimate';
import { DEVICE_CHOICES } from '../shared/panelMessages';
import type { FromWebview, ToWebview } from '../shared/panelMessages';
import { lineChart } from './chart';
import { append, h } from './dom';
import { applyMessage, datasetRef, freshRun, initialState, startRequest, type Form, type ViewState } from './state';

interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function loadState(): ViewState | undefined {
  const s = vscode.getState() as ViewState | undefined;
  return s && s.version === 1 ? s : undefined;
}

let state: ViewState = loadState() ?? initialState();

let scheduled = false;
function update(mutate: (s: ViewState) => void, rerender = true): void {
  mutate(state);
  vscode.setState(state);
  if (rerender && !scheduled) {
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  }
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

// ---------------------------------------------------------------------------------------------------
// Messages from the extension

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  update((s) => applyMessage(s, m));
  if (m.type === 'init' && !state.preview && state.form.datasetKind === 'demo') requestPreview();
  if (m.type === 'datasetPicked') requestPreview();
});

// ---------------------------------------------------------------------------------------------------
// Requests

function requestPreview(): void {
  const f = state.form;
  if (f.datasetKind === 'file' && !f.datasetPath) return;
  update((s) => { s.busy.preview = true; s.previewError = undefined; });
  post({ type: 'preview', dataset: datasetRef(f), questionField: f.questionField || undefined, answerField: f.answerField || undefined });
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

function textInput(id: string, value: string, onInput: (v: string) => void, attrs: Record<string, string> = {}): HTMLInputElement {
  return h('input', { id, type: 'text', value, ...attrs, oninput: (e: Event) => update(() => onInput((e.target as HTMLInputElement).value), false) });
}

function numberInput(id: string, value: number, min: number, onInput: (v: number) => void): HTMLInputElement {
  return h('input', {
    id, type: 'number', value, min, step: 1,
    onchange: (e: Event) => {
      const v = Math.max(min, Math.floor(Number((e.target as HTMLInputElement).value) || min));
      update(() => onInput(v));
    },
  });
}

function button(id: string, label: string, onClick: () => void, opts: { secondary?: boolean; disabled?: boolean } = {}): HTMLButtonElement {
  return h('button', { id, class: opts.secondary ? 'secondary' : '', disabled: !!opts.disabled, onclick: onClick }, label);
}

function table(columns: string[], rows: Record<string, string>[]): HTMLElement {
  return h('table', { class: 'preview' },
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...columns.map((c) => h('td', { title: r[c] ?? '' }, (r[c] ?? '').slice(0, 160)))))));
}

function renderSource(): HTMLElement {
  const src = state.session.source;
  if (!src) return h('p', { class: 'hint' }, 'No prompt from a file: type one below. Apply needs a prompt opened from the editor (CodeLens "Optimize prompt").');
  return h('div', { class: 'source' },
    h('div', {}, h('span', { class: 'badge' }, src.label), ' ', src.placeholders.length ? h('span', { class: 'hint' }, `placeholders kept: ${src.placeholders.join(' ')}`) : null),
    src.context.prefix || src.context.suffix
      ? h('pre', { class: 'context' }, h('span', { class: 'fixed' }, src.context.prefix), h('mark', { class: 'editable' }, src.optimizable), h('span', { class: 'fixed' }, src.context.suffix))
      : null);
}

function renderSetup(): HTMLElement {
  const f = state.form;
  const p = state.preview;
  const running = state.run.state === 'running' || state.run.state === 'cancelling' || state.run.state === 'starting';
  const est = estimateRun({ model: f.model, device: f.device, steps: f.steps, topQ: f.topQ, trainSize: f.trainSize });
  const columnSelect = (id: string, value: string, set: (v: string) => void) => h('select', {
    id, onchange: (e: Event) => { update(() => set((e.target as HTMLSelectElement).value)); requestPreview(); },
  }, h('option', { value: '' }, '(automatic)'), ...(p?.columns ?? []).map((c) => h('option', { value: c, selected: c === value }, c)));
  return h('section', { id: 'setup' },
    h('h2', {}, 'Prompt'),
    renderSource(),
    field('Initial prompt (the part GReaTer edits)', h('textarea', {
      id: 'prompt', rows: 3, oninput: (e: Event) => update((s) => { s.form.prompt = (e.target as HTMLTextAreaElement).value; }, false),
    }, f.prompt)),
    h('h2', {}, 'Task'),
    h('div', { class: 'row' },
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'ds', id: 'dataset-demo', checked: f.datasetKind === 'demo', onchange: () => { update((s) => { s.form.datasetKind = 'demo'; s.preview = undefined; }); requestPreview(); } }), 'Built-in demo task'),
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'ds', id: 'dataset-file', checked: f.datasetKind === 'file', onchange: () => post({ type: 'pickDataset' }) }), 'Dataset file or folder…'),
      f.datasetKind === 'file' ? h('span', { class: 'path', title: f.datasetPath }, f.datasetPath || '(none)') : null,
      f.datasetKind === 'file' ? button('pick-dataset', 'Choose…', () => post({ type: 'pickDataset' }), { secondary: true }) : null,
    ),
    state.busy.preview ? h('p', { class: 'hint' }, 'Reading the dataset…') : null,
    state.previewError ? h('p', { class: 'error', id: 'preview-error' }, state.previewError) : null,
    p ? h('div', { id: 'preview' },
      h('p', { class: 'hint' }, `${p.total} examples (${p.format}); first ${p.rows.length}:`),
      table(p.columns, p.rows),
      h('div', { class: 'row' },
        field('Question field', columnSelect('question-field', f.questionField, (v) => (state.form.questionField = v))),
        field('Answer field', columnSelect('answer-field', f.answerField, (v) => (state.form.answerField = v)))),
    ) : null,
    h('h2', {}, 'Answer extractor'),
    h('div', { class: 'row' },
      h('select', { id: 'extractor-preset', onchange: (e: Event) => update((s) => {
        const v = (e.target as HTMLSelectElement).value;
        s.form.extractorMode = v === '__text' ? 'text' : 'preset';
        if (v !== '__text') s.form.preset = v;
      }) },
      ...(p?.extractorPresets.length ? p.extractorPresets : [{ name: 'auto', description: 'chosen by the optimizer from the dataset' }]).map((x) =>
        h('option', { value: x.name, selected: f.extractorMode === 'preset' && (x.name === f.preset || (!f.preset && x.name === 'auto')), title: x.description }, x.name)),
      h('option', { value: '__text', selected: f.extractorMode === 'text' }, 'Custom text…')),
      f.extractorMode === 'text' ? textInput('extractor-text', f.extractorText, (v) => (state.form.extractorText = v), { placeholder: 'e.g. Therefore, the final answer is' }) : null,
      button('check-extractor', state.busy.check ? 'Checking…' : 'Dry run on 5 samples', () => {
        update((s) => { s.busy.check = true; s.checkError = undefined; });
        post({ type: 'checkExtractor', request: startRequest(state.form) });
      }, { secondary: true, disabled: !!state.busy.check || running })),
    state.checkError ? h('p', { class: 'error' }, state.checkError) : null,
    state.check ? h('table', { class: 'preview', id: 'extractor-check' },
      h('thead', {}, h('tr', {}, h('th', {}, 'question'), h('th', {}, 'extracted'), h('th', {}, 'gold'), h('th', {}, ''))),
      h('tbody', {}, ...state.check.samples.map((x) => h('tr', { class: x.correct ? 'ok' : 'bad' },
        h('td', { title: x.reasoning }, x.question.slice(0, 120)), h('td', {}, x.extracted ?? '(none)'), h('td', {}, x.gold), h('td', {}, x.correct ? '✓' : '✗'))))) : null,
    h('h2', {}, 'Model and budget'),
    h('div', { class: 'grid' },
      field('Model', textInput('model', f.model, (v) => (state.form.model = v)), '"demo" = built-in model'),
      field('Device', h('select', { id: 'device', onchange: (e: Event) => update((s) => { s.form.device = (e.target as HTMLSelectElement).value as Form['device']; }) },
        ...DEVICE_CHOICES.map((d) => h('option', { value: d, selected: d === f.device }, d)))),
      field('Steps', numberInput('steps', f.steps, 1, (v) => (state.form.steps = v))),
      field('Top-k', numberInput('top-k', f.topK, 1, (v) => (state.form.topK = v))),
      field('Top-q', numberInput('top-q', f.topQ, 1, (v) => (state.form.topQ = v))),
      field('Train size', numberInput('train-size', f.trainSize, 1, (v) => (state.form.trainSize = v))),
      field('Seed', numberInput('seed', f.seed, 0, (v) => (state.form.seed = v))),
    ),
    h('p', { id: 'estimate', class: 'hint' }, est.seconds !== undefined
      ? `Rough estimate: ${formatDuration(est.seconds)}, ${formatBytes(est.memoryBytes ?? 0)} of memory (${(est.parameters! / 1e6).toFixed(est.parameters! < 1e7 ? 1 : 0)}M parameters).`
      : 'Estimate: unknown model size (the ETA appears after the first step).'),
    !state.trusted ? h('p', { class: 'error' }, 'This workspace is not trusted: GReaTer will not start a worker or load a model.') : null,
    state.startError ? h('p', { class: 'error', id: 'start-error' }, state.startError) : null,
    h('div', { class: 'row' }, button('start', state.busy.start ? 'Starting…' : 'Start optimisation', () => {
      update((s) => { s.busy.start = true; s.startError = undefined; s.run = { ...freshRun(), state: 'starting', initialPrompt: s.form.prompt }; s.applied = false; s.applyMessage = s.applyError = undefined; });
      post({ type: 'start', request: startRequest(state.form) });
    }, { disabled: running || !!state.busy.start || !state.trusted || !f.prompt.trim() })),
  );
}

function renderPromptTokens(tokens: string[], position: number | undefined, heat?: number[]): HTMLElement {
  const max = heat && heat.length ? Math.max(...heat.map(Math.abs), 1e-12) : 0;
  return h('div', { class: 'tokens', id: 'prompt-tokens' }, ...tokens.map((t, i) => {
    const el = h('span', { class: `tok${i === position ? ' edited' : ''}`, title: heat ? `|grad| ${(heat[i] ?? 0).toExponential(2)}` : '' }, t);
    if (heat && heat[i] !== undefined) el.style.setProperty('--heat', (Math.abs(heat[i]) / max).toFixed(3));
    return el;
  }));
}

function renderLive(): HTMLElement | null {
  const r = state.run;
  if (r.state === 'idle' && !r.last && !r.done) return null;
  const live = r.state === 'running' || r.state === 'cancelling' || r.state === 'starting';
  const phase = r.phase;
  const eta = r.last?.etaSeconds ?? phase?.etaSeconds;
  const status = r.state === 'starting' ? 'starting the worker…'
    : r.state === 'cancelling' ? 'stopping at the end of this step…'
      : phase && live ? `step ${phase.step}${r.totalSteps ? `/${r.totalSteps}` : ''} · ${phase.phase}${phase.candidate ? ` ${phase.candidate.index}/${phase.candidate.total}` : ''}` : r.state;
  const c = r.candidates;
  return h('section', { id: 'live' },
    h('h2', {}, 'Run', r.runId ? h('span', { class: 'badge' }, r.runId) : null),
    h('div', { class: 'row' },
      h('span', { id: 'phase', class: `status status-${r.state}` }, status),
      h('span', { id: 'step-count', class: 'hint' }, r.last ? `step ${r.last.step}/${r.last.totalSteps} · best ${r.last.bestScore.toFixed(4)}` : ''),
      eta !== undefined && live ? h('span', { id: 'eta', class: 'hint' }, `ETA ${formatDuration(eta)}`) : null,
      live ? button('stop', r.state === 'cancelling' ? 'Stop now' : 'Stop', () => post({ type: 'stop' }), { secondary: true }) : null,
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

function renderResult(): HTMLElement | null {
  const r = state.run;
  const best = r.done?.bestPrompt ?? r.last?.bestPrompt;
  // only once the run has ended: while stopping, the best prompt can still change
  if (!best || (r.state !== 'finished' && r.state !== 'failed')) return null;
  const before = r.initialPrompt ?? state.session.source?.optimizable ?? state.form.prompt;
  const pct = (x?: number) => (x === undefined ? '?' : `${(x * 100).toFixed(1)}%`);
  const initialAcc = r.done?.initialAccuracy ?? r.initialEval?.accuracy;
  const bestAcc = r.done?.bestAccuracy ?? r.bestEval?.accuracy;
  const diff = h('p', { class: 'diff', id: 'diff' }, ...diffWords(before, best).map((d) => h(d.op === 'add' ? 'ins' : d.op === 'del' ? 'del' : 'span', {}, d.text)));
  return h('section', { id: 'result' },
    h('h2', {}, 'Result'),
    initialAcc !== undefined || bestAcc !== undefined
      ? h('p', { id: 'accuracy' }, `Held-out accuracy: ${pct(initialAcc)} → ${pct(bestAcc)}`) : h('p', { class: 'hint' }, 'No held-out evaluation (the run was stopped before it).'),
    h('h3', {}, 'Best prompt'),
    h('pre', { id: 'best-prompt', class: 'prompt' }, best),
    h('h3', {}, 'Change'),
    diff,
    h('div', { class: 'row' },
      button('apply', 'Apply', () => post({ type: 'apply', prompt: best }), { disabled: !state.session.source && !r.runId }),
      button('copy', 'Copy', () => post({ type: 'copy', prompt: best }), { secondary: true }),
      button('revert', 'Revert', () => post({ type: 'revert' }), { secondary: true, disabled: !state.applied }),
      r.resumable ? button('resume', 'Resume', () => post({ type: 'resume' }), { secondary: true }) : null,
    ),
    state.applyMessage ? h('p', { id: 'apply-message', class: 'hint' }, state.applyMessage) : null,
    state.applyError ? h('p', { id: 'apply-error', class: 'error' }, state.applyError) : null,
  );
}

function render(): void {
  const app = document.getElementById('app')!;
  // keep the focused field's caret while re-rendering
  const focused = document.activeElement as HTMLInputElement | null;
  const focusId = focused?.id;
  const sel = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : undefined;
  app.replaceChildren();
  const failedEarly = state.run.state === 'failed' && !state.run.last;
  append(app, [
    h('header', {}, h('h1', { id: 'title' }, 'GReaTer Prompt Optimizer')),
    renderLive(),
    renderResult(),
    state.run.state === 'idle' || failedEarly || state.run.state === 'finished' || state.run.state === 'failed' ? renderSetup() : null,
  ]);
  if (focusId) {
    const el = document.getElementById(focusId) as HTMLInputElement | null;
    el?.focus();
    if (el && sel && typeof sel[0] === 'number') {
      try { el.setSelectionRange(sel[0], sel[1] ?? sel[0]); } catch { /* not a text input */ }
    }
  }
}

render();
post({ type: 'ready' });
