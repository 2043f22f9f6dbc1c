// What every view module of the panel is handed: the state (read), `update` (mutate + persist + re-render),
// `post` (to the extension) and the shared requests; plus the small form widgets the views are built from.
import type { FromWebview } from '../shared/panelMessages';
import { h } from './dom';
import type { ViewState } from './state';

export interface ViewContext {
  readonly state: ViewState;
  update(mutate: (s: ViewState) => void, rerender?: boolean): void;
  post(m: FromWebview): void;
  requestPreview(): void;
}

/** A labelled input; `problem` (with its element id) is shown in place of the hint, as an error next to the field. */
export function field(label: string, input: HTMLElement, hint?: string, problemId?: string): HTMLElement {
  const note = hint ? h('span', problemId ? { class: 'error', id: problemId } : { class: 'hint' }, hint) : null;
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, note);
}

export function textInput(ui: ViewContext, id: string, value: string, onInput: (v: string) => void, attrs: Record<string, string> = {}): HTMLInputElement {
  return h('input', { id, type: 'text', value, ...attrs, oninput: (e: Event) => ui.update(() => onInput((e.target as HTMLInputElement).value), false) });
}

export function numberInput(ui: ViewContext, id: string, value: number, min: number, onInput: (v: number) => void): HTMLInputElement {
  return h('input', {
    id, type: 'number', value, min, step: 1,
    onchange: (e: Event) => {
      const v = Math.max(min, Math.floor(Number((e.target as HTMLInputElement).value) || min));
      ui.update(() => onInput(v));
    },
  });
}

export function button(id: string, label: string, onClick: () => void, opts: { secondary?: boolean; disabled?: boolean } = {}): HTMLButtonElement {
  return h('button', { id, class: opts.secondary ? 'secondary' : '', disabled: !!opts.disabled, onclick: onClick }, label);
}

export function table(columns: string[], rows: Record<string, string>[]): HTMLElement {
  return h('table', { class: 'preview' },
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...columns.map((c) => h('td', { title: r[c] ?? '' }, (r[c] ?? '').slice(0, 160)))))));
}
