// "Check on deployment model": after the run, the initial and best prompts are also evaluated on the model the
// application really calls — none, a second local model (folder or Hugging Face id), or an OpenAI-compatible
// endpoint (base URL + model name). The endpoint's API key never comes here: "Set API key…" asks the extension,
// which stores it in SecretStorage; the panel only learns whether one is stored.
import { h } from './dom';
import type { TransferForm } from './state';
import { formOf, transferProblem } from './transferState';
import { button, field, textInput, type ViewContext } from './view';

export function renderTransferSetup(ui: ViewContext): HTMLElement {
  const f = formOf(ui.state);
  const set = (mutate: (t: TransferForm) => void, rerender = true) => ui.update((s) => { s.transfer = { ...formOf(s) }; mutate(s.transfer); }, rerender);
  const radio = (kind: TransferForm['kind'], label: string) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'transfer', id: `transfer-${kind}`, checked: f.kind === kind, onchange: () => set((t) => { t.kind = kind; }) }), label);
  const problem = transferProblem(ui.state);
  return h('details', { id: 'transfer', open: f.open, ontoggle: (e: Event) => {
    const open = (e.target as HTMLDetailsElement).open;
    if (open !== f.open) set((t) => { t.open = open; }, false);
  } },
    h('summary', {}, 'Check on deployment model', f.kind === 'none' ? '' : `: ${f.kind === 'model' ? f.model || '(local model)' : f.endpointModel || '(endpoint)'}`),
    h('p', { class: 'hint' }, 'After the run, the initial and the best prompt are also evaluated on the held-out set with the model your application calls.'),
    h('div', { class: 'row' }, radio('none', 'None'), radio('model', 'Second local model'), radio('endpoint', 'OpenAI-compatible endpoint')),
    f.kind === 'model' ? field('Model folder or Hugging Face id', textInput(ui, 'transfer-model', f.model, (v) => set((t) => { t.model = v; }), { placeholder: 'e.g. HuggingFaceTB/SmolLM2-360M-Instruct' })) : null,
    f.kind === 'endpoint' ? h('div', { class: 'grid' },
      field('Base URL', textInput(ui, 'transfer-url', f.baseUrl, (v) => set((t) => { t.baseUrl = v; }), { placeholder: 'http://localhost:11434/v1' }), 'Ollama, LM Studio, llama.cpp server, vLLM'),
      field('Model name', textInput(ui, 'transfer-endpoint-model', f.endpointModel, (v) => set((t) => { t.endpointModel = v; }), { placeholder: 'e.g. llama3.2:3b' })),
      h('div', { class: 'row' },
        button('set-endpoint-key', 'Set API key…', () => ui.post({ type: 'setEndpointKey' }), { secondary: true }),
        h('span', { class: 'hint', id: 'endpoint-key-state' }, ui.state.endpointKeySet ? 'An API key is stored (VS Code SecretStorage).' : 'No API key stored (local servers need none).')),
    ) : null,
    problem && f.kind !== 'none' ? h('p', { class: 'error', id: 'transfer-problem' }, problem) : null,
  );
}

/** The deployment model's before → after, next to the held-out one; or why the check failed. */
export function renderTransferResult(ui: ViewContext): HTMLElement | null {
  const r = ui.state.run;
  const a = r.transferInitialEval, b = r.transferBestEval;
  const pct = (x?: number) => (x === undefined ? '?' : `${(x * 100).toFixed(1)}%`);
  if (a || b) return h('p', { id: 'transfer-accuracy' }, `On ${a?.transfer ?? b?.transfer}: ${pct(a?.accuracy)} → ${pct(b?.accuracy ?? a?.accuracy)}`);
  if (ui.state.transferError && ui.state.report?.runId === r.runId) return h('p', { class: 'warning', id: 'transfer-error' }, ui.state.transferError);
  return null;
}
