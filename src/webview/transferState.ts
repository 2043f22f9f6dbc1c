// "Check on deployment model" as data (no DOM): the target the form describes, what it still lacks, the start
// request with it, and the messages this section owns. An endpoint's API key never comes here: only whether
// one is stored in SecretStorage.
import type { StartRequest, ToWebview, TransferTarget } from '../shared/panelMessages';
import type { TransferForm, ViewState } from './state';

export function emptyTransferForm(): TransferForm {
  return { kind: 'none', open: false, model: '', baseUrl: '', endpointModel: '' };
}

export function formOf(s: ViewState): TransferForm {
  return s.transfer ?? emptyTransferForm();
}

/** The target the form describes, if it is complete. */
export function transferTarget(f: TransferForm): TransferTarget | undefined {
  if (f.kind === 'model' && f.model.trim()) return { kind: 'model', model: f.model.trim() };
  if (f.kind === 'endpoint' && f.baseUrl.trim() && f.endpointModel.trim()) return { kind: 'endpoint', baseUrl: f.baseUrl.trim(), model: f.endpointModel.trim() };
  return undefined;
}

/** What the chosen target still needs before Start, or nothing. */
export function transferProblem(s: ViewState): string | undefined {
  const f = formOf(s);
  if (f.kind === 'model' && !f.model.trim()) return 'Name the deployment model (a folder or a Hugging Face id), or choose "None".';
  if (f.kind === 'endpoint') {
    if (!/^https?:\/\/\S+$/.test(f.baseUrl.trim())) return 'Give the endpoint\'s base URL, e.g. http://localhost:11434/v1.';
    if (!f.endpointModel.trim()) return 'Give the model name the endpoint serves.';
  }
  return undefined;
}

/** The setup form's request with the deployment check added. */
export function withTransfer(s: ViewState, r: StartRequest): StartRequest {
  const t = transferTarget(formOf(s));
  return t ? { ...r, transfer: t } : r;
}

/** The part of the extension's messages this section owns. */
export function applyTransferMessage(s: ViewState, m: ToWebview): void {
  if (m.type === 'endpointKey') s.endpointKeySet = m.stored;
  if (m.type === 'init' && m.request) {
    const t = m.request.transfer;
    s.transfer = !t ? emptyTransferForm()
      : t.kind === 'model' ? { ...emptyTransferForm(), open: true, kind: 'model', model: t.model }
        : { ...emptyTransferForm(), open: true, kind: 'endpoint', baseUrl: t.baseUrl, endpointModel: t.model };
  }
  if (m.type === 'report') s.transferError = m.transferError;
  if (m.type === 'runStarted') s.transferError = undefined;
}
