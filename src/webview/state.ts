// The panel's state as data: the view model kept with setState (form, preview, dry run, the run as the shared
// fold of its events plus the panel's own phase) and the pure reducers over the extension's messages and run
// events. No DOM and no VS Code API here; main.ts owns those and the views read this.
import { emptyRunProgress, foldRunEvents } from '../shared/panelMessages';
import type {
  DatasetPreviewResult, ExtractorCheckResult, PromptSource, RunEvent, RunPhaseState, RunProgress, RunSettings, StartRequest,
  ToWebview,
} from '../shared/panelMessages';

export interface Form extends RunSettings {
  datasetKind: 'demo' | 'file';
  datasetPath: string;
  questionField: string;
  answerField: string;
  extractorMode: 'preset' | 'text';
  preset: string;
  extractorText: string;
  prompt: string;
}

/** The run as its events describe it (the shared fold) plus the panel's own phase and failure text. */
export interface RunView extends RunProgress {
  state: RunPhaseState;
  message?: string;
  resumable?: boolean;
}

export interface ViewState {
  version: 1;
  /** read by the extension's serializer after a reload */
  session: { source?: PromptSource; runId?: string; runDir?: string };
  trusted: boolean;
  form: Form;
  preview?: DatasetPreviewResult;
  previewError?: string;
  check?: ExtractorCheckResult;
  checkError?: string;
  busy: { preview?: boolean; check?: boolean; start?: boolean };
  startError?: string;
  applyMessage?: string;
  applyError?: string;
  applied: boolean;
  run: RunView;
}

export function freshRun(): RunView {
  return { ...emptyRunProgress(), state: 'idle' };
}

export function defaultForm(settings: RunSettings, prompt: string): Form {
  return {
    ...settings, datasetKind: 'demo', datasetPath: '', questionField: '', answerField: '', extractorMode: 'preset',
    preset: '', extractorText: '', prompt,
  };
}

export function initialState(): ViewState {
  return {
    version: 1, session: {}, trusted: true, form: defaultForm({ model: 'demo', device: 'auto', steps: 10, topK: 50, topQ: 5, trainSize: 50, seed: 0 }, ''),
    busy: {}, applied: false, run: freshRun(),
  };
}

/** Applies one message from the extension to the state (in place: the state is the page's one draft). */
export function applyMessage(s: ViewState, m: ToWebview): void {
  switch (m.type) {
    case 'init': {
      const sameSession = s.session.runId === m.runId && s.session.source?.uri === m.source?.uri && s.session.source?.start === m.source?.start;
      s.trusted = m.trusted;
      if (!sameSession) {
        s.session = { source: m.source, runId: m.runId };
        s.form = { ...defaultForm(m.settings, m.source?.optimizable ?? ''), ...(s.form.datasetKind === 'file' ? { datasetKind: 'file', datasetPath: s.form.datasetPath } : {}) };
        s.applied = false;
        s.applyMessage = s.applyError = s.startError = undefined;
      }
      // a replay follows for runs: start from a clean run view either way
      s.run = freshRun();
      if (m.runId) s.run.runId = m.runId;
      return;
    }
    case 'datasetPicked':
      s.form.datasetKind = 'file';
      s.form.datasetPath = m.path;
      return;
    case 'preview':
      s.preview = m.result;
      s.previewError = undefined;
      s.busy.preview = false;
      s.form.questionField ||= m.result.suggested.questionField ?? '';
      s.form.answerField ||= m.result.suggested.answerField ?? '';
      if (!s.form.preset) s.form.preset = m.result.defaultPreset ?? m.result.extractorPresets[0]?.name ?? '';
      if (!s.form.prompt && m.result.defaultPrompt) s.form.prompt = m.result.defaultPrompt;
      return;
    case 'extractorCheck':
      s.check = m.result;
      s.checkError = undefined;
      s.busy.check = false;
      return;
    case 'requestError':
      if (m.request === 'preview') { s.previewError = m.message; s.busy.preview = false; }
      if (m.request === 'extractorCheck') { s.checkError = m.message; s.busy.check = false; }
      if (m.request === 'start') { s.startError = m.message; s.busy.start = false; if (s.run.state === 'starting') s.run.state = 'idle'; }
      if (m.request === 'apply') { s.applyError = m.message; s.applyMessage = undefined; }
      return;
    case 'runStarted':
      s.session.runId = m.runId;
      s.session.runDir = m.runDir;
      s.run.runId = m.runId;
      s.run.runDir = m.runDir;
      s.busy.start = false;
      s.startError = undefined;
      return;
    case 'event':
      s.run = onRunEvent(s.run, m.event);
      return;
    case 'runState':
      s.run.state = m.state;
      s.run.message = m.message;
      s.run.resumable = m.resumable;
      return;
    case 'applied':
      s.applied = m.action === 'apply';
      s.applyMessage = m.message;
      s.applyError = undefined;
      return;
  }
}

/** The run view after one event: the shared fold, plus the panel's phase and failure text. */
export function onRunEvent(r: RunView, e: RunEvent): RunView {
  const next = foldRunEvents(r, e);
  switch (e.kind) {
    case 'run-started':
      if (r.state === 'idle' || r.state === 'starting' || r.state === 'failed') next.state = 'running';
      break;
    case 'done':
      next.state = 'finished';
      break;
    case 'error':
      next.state = 'failed';
      next.message = e.message;
      next.resumable = e.resumable;
      break;
  }
  return next;
}

export function datasetRef(f: Form) {
  return f.datasetKind === 'demo' ? { builtin: 'demo' as const } : { path: f.datasetPath };
}

/** What the setup form submits. */
export function startRequest(f: Form): StartRequest {
  return {
    model: f.model, device: f.device, steps: f.steps, topK: f.topK, topQ: f.topQ, trainSize: f.trainSize, seed: f.seed,
    dataset: datasetRef(f), questionField: f.questionField || undefined, answerField: f.answerField || undefined,
    extractor: f.extractorMode === 'text' ? { text: f.extractorText } : { preset: f.preset || 'auto' },
    initialPrompt: f.prompt,
  };
}
