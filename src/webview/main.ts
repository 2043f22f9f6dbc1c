// The optimizer panel's entry (bundled to media/webview.js): holds the view model (state.ts, kept with
// setState so hiding the tab or reloading the window loses nothing), applies the extension's messages and
// renders the three views, one module each: setup.ts, live.ts, result.ts (they share view.ts). All user text
// is set through textContent (dom.ts).
import type { FromWebview, ToWebview } from '../shared/panelMessages';
import { append, h } from './dom';
import { renderLive } from './live';
import { renderResult } from './result';
import { renderSetup, requestEngineCheck } from './setup';
import { applyMessage, completeForm, datasetRef, engineKey, initialState, type ViewState } from './state';
import { applyTransferMessage } from './transferState';
import type { ViewContext } from './view';

interface VsCodeApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(s: ViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function loadState(): ViewState | undefined {
  const s = vscode.getState() as ViewState | undefined;
  // a state saved by an older panel lacks the budget and engine fields
  return s && s.version === 1 ? { ...s, form: completeForm(s.form) } : undefined;
}

let state: ViewState = loadState() ?? initialState();

let scheduled = false;
let lastRender = 0;
/** A run's events can come faster than anyone reads: the page is rebuilt at most this often. */
const MIN_RENDER_MS = 100;
function update(mutate: (s: ViewState) => void, rerender = true): void {
  mutate(state);
  vscode.setState(state);
  if (rerender && !scheduled) {
    scheduled = true;
    setTimeout(() => requestAnimationFrame(() => {
      scheduled = false;
      render();
    }), Math.max(0, lastRender + MIN_RENDER_MS - performance.now()));
  }
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

// ---------------------------------------------------------------------------------------------------
// Messages from the extension

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  update((s) => { applyMessage(s, m); applyTransferMessage(s, m); });
  if (m.type === 'init' && !state.preview) requestPreview();
  if (m.type === 'init' && state.engineCheck?.key !== engineKey(state.form)) requestEngineCheck(ui);
  if (m.type === 'datasetPicked' && m.path !== undefined) requestPreview();
});

// ---------------------------------------------------------------------------------------------------
// Requests

function requestPreview(): void {
  const f = state.form;
  if (f.datasetKind === 'file' && !f.datasetPath) return;
  update((s) => { s.busy.preview = true; s.previewError = undefined; });
  post({ type: 'preview', dataset: datasetRef(f), questionField: f.questionField || undefined, answerField: f.answerField || undefined });
}

let shownStartError: string | undefined;

function render(): void {
  lastRender = performance.now();
  const app = document.getElementById('app')!;
  // keep the focused field's caret while re-rendering
  const focused = document.activeElement as HTMLInputElement | null;
  const focusId = focused?.id;
  const sel = focused && 'selectionStart' in focused ? [focused.selectionStart, focused.selectionEnd] : undefined;
  app.replaceChildren();
  const r = state.run.state;
  // the form stays on screen while the worker starts, so a refused Start does not move the page
  const beforeFirstStep = (r === 'failed' || r === 'starting') && !state.run.last;
  const banner = state.startError ? h('p', { class: 'error banner', id: 'start-banner', role: 'alert' }, h('strong', {}, 'Start failed: '), h('span', { id: 'start-error' }, state.startError)) : null;
  append(app, [
    h('header', {}, h('h1', { id: 'title' }, 'GReaTer Prompt Optimizer')),
    banner,
    renderLive(ui),
    renderResult(ui),
    r === 'idle' || beforeFirstStep || r === 'finished' || r === 'failed' ? renderSetup(ui) : null,
  ]);
  const bannerShown = !!banner && state.startError !== shownStartError;
  if (bannerShown) banner.scrollIntoView({ block: 'start' });
  shownStartError = state.startError;
  if (focusId) {
    const el = document.getElementById(focusId) as HTMLInputElement | null;
    // Focus comes back without scrolling to it when a refused Start just brought its banner into view (the Start
    // button, focused by the click, sits below it and would scroll the banner away again).
    el?.focus(bannerShown ? { preventScroll: true } : undefined);
    if (el && sel && typeof sel[0] === 'number') {
      try { el.setSelectionRange(sel[0], sel[1] ?? sel[0]); } catch { /* not a text input */ }
    }
  }
}

const ui: ViewContext = {
  get state() { return state; },
  update, post, requestPreview,
};

render();
post({ type: 'ready' });
