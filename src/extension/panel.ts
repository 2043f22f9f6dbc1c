// The optimizer panel: one instance (revealed, never duplicated), revived after a window reload by a
// serializer, CSP with a fresh nonce per render and only media/ as a local resource. It relays the setup
// form's requests to the worker, the active run's events to the webview, and Apply / Revert / Copy to the
// editor. The webview keeps its own state (getState/setState); the session (source + run) rides along in it.
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { DatasetPreview, EngineCheck, ExtractorCheck, RunEstimate, type DatasetRef } from '../worker/protocol';
import { revertPrompt, type ApplyOutcome } from './applyEdit';
import { runSettings, runsDir } from './config';
import { COMMANDS, PANEL_VIEW_TYPE } from './core/ids';
import { budgetAndFormats, type FromWebview, type PromptSource, type StartRequest, type ToWebview } from '../shared/panelMessages';
import { readEvents, readHeldOutExamples, readTopPrompts, summarizeRun } from './core/runs';
import { sanitizeSession } from './core/trust';
import type { Log } from './log';
import type { ProposalDocuments } from './proposalDocs';
import type { RunController } from './runController';
import type { WorkerClient } from './workerClient';

export interface PanelDeps {
  extensionUri: vscode.Uri;
  worker: WorkerClient;
  runs: RunController;
  proposals: ProposalDocuments;
  log: Log;
  /** only whether a key is stored reaches the webview */
  endpointKey: { get(): Promise<string | undefined> };
  /** Apply with the inline review (Accept / Discard in the editor) */
  applyPrompt(source: PromptSource, text: string): Promise<ApplyOutcome>;
}

/** What the panel is about: the prompt it optimises and/or the run it shows. */
export interface PanelSession {
  source?: PromptSource;
  runId?: string;
  runDir?: string;
}

function errorText(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

export class OptimizerPanel implements vscode.Disposable {
  static current: OptimizerPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private awaitingStart = false;

  static show(deps: PanelDeps, session: PanelSession): OptimizerPanel {
    const existing = OptimizerPanel.current;
    if (existing) {
      existing.panel.reveal(vscode.ViewColumn.Beside);
      const busy = existing.session.runId && deps.runs.current?.runId === existing.session.runId;
      if (!busy || session.runId === existing.session.runId) existing.setSession(session);
      else vscode.window.showWarningMessage(`GReaTer: run ${existing.session.runId} is still active in the panel; stop it before optimising another prompt.`);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, 'GReaTer', vscode.ViewColumn.Beside, OptimizerPanel.options(deps.extensionUri));
    return new OptimizerPanel(panel, deps, session);
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')] };
  }

  /** Restores a panel after a reload from the state the webview saved. */
  static revive(panel: vscode.WebviewPanel, deps: PanelDeps, state: unknown): OptimizerPanel {
    // The saved state comes from the webview: Apply and Resume act only on what is in this workspace.
    const saved = state && typeof state === 'object' ? (state as { session?: unknown }).session : undefined;
    const { session, dropped } = sanitizeSession<PromptSource>(saved, {
      inWorkspace: (uri) => {
        try {
          const u = vscode.Uri.parse(uri, true);
          return u.scheme === 'file' && vscode.workspace.getWorkspaceFolder(u) !== undefined;
        } catch {
          return false;
        }
      },
      runsDir: runsDir(),
    });
    for (const d of dropped) deps.log.warn(`restored panel: ignored ${d}`);
    panel.webview.options = OptimizerPanel.options(deps.extensionUri);
    return new OptimizerPanel(panel, deps, session);
  }

  private readonly pickedDatasets = new Set<string>();

  private constructor(readonly panel: vscode.WebviewPanel, private readonly deps: PanelDeps, private session: PanelSession) {
    OptimizerPanel.current = this;
    this.render();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.handle(m)),
      deps.runs.onRunEvent(({ runId, event }) => {
        // run-started arrives before the run/start response: adopt it while our start is in flight
        if (this.awaitingStart && !this.session.runId && event.kind === 'run-started') this.session = { ...this.session, runId, runDir: event.runDir };
        if (runId === this.session.runId) this.post({ type: 'event', runId, event });
      }),
      deps.runs.onRunEnded((e) => {
        if (e.runId !== this.session.runId) return;
        this.post({ type: 'runState', state: e.outcome === 'completed' || e.outcome === 'cancelled' ? 'finished' : 'failed', message: e.message, resumable: e.resumable });
        this.postExamples(e.runId, e.runDir);
      }),
    );
  }

  get currentSession(): PanelSession {
    return this.session;
  }

  private setSession(session: PanelSession): void {
    this.session = session;
    this.panel.title = session.source ? `GReaTer: ${session.source.label}` : session.runId ? `GReaTer: ${session.runId}` : 'GReaTer';
    this.sendInit();
  }

  private render(): void {
    const wv = this.panel.webview;
    const media = (f: string) => wv.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, 'media', f));
    const nonce = crypto.randomBytes(16).toString('base64');
    this.panel.title = this.session.source ? `GReaTer: ${this.session.source.label}` : this.session.runId ? `GReaTer: ${this.session.runId}` : 'GReaTer';
    this.panel.iconPath = vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'icon.svg');
    wv.html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${wv.cspSource}; img-src ${wv.cspSource} data:; font-src ${wv.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${media('webview.css')}" rel="stylesheet">
<title>GReaTer</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${media('webview.js')}"></script>
</body>
</html>`;
  }

  /** Starts or resumes a run for this panel; failures come back to the webview as the start error. */
  private async launch(run: () => Promise<{ runId: string; runDir: string }>, retitle: boolean): Promise<void> {
    this.awaitingStart = true;
    try {
      const res = await run();
      this.session = { ...this.session, ...res };
      if (retitle) this.panel.title = `GReaTer: ${this.session.source?.label ?? res.runId}`;
      this.post({ type: 'runStarted', runId: res.runId, runDir: res.runDir });
      this.post({ type: 'runState', state: 'running' });
    } catch (e) {
      this.post({ type: 'requestError', request: 'start', message: errorText(e) });
    } finally {
      this.awaitingStart = false;
    }
  }

  private post(msg: ToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  private sendInit(): void {
    const { source, runId, runDir } = this.session;
    const request = runId ? this.deps.runs.requestFor(runId) : undefined;
    this.post({ type: 'init', source, settings: runSettings(), trusted: vscode.workspace.isTrusted, ...(runId ? { runId } : {}), ...(request ? { request } : {}) });
    if (!runDir || !runId) return;
    // replay what the run folder already holds, then live events continue
    for (const event of readEvents(runDir)) this.post({ type: 'event', runId, event });
    const active = this.deps.runs.current?.runId === runId;
    if (active) {
      this.post({ type: 'runState', state: this.deps.runs.current?.cancelling ? 'cancelling' : 'running' });
    } else {
      const s = summarizeRun(runDir, undefined, () => false);
      const state = s.status === 'failed' || s.status === 'interrupted' ? 'failed' : 'finished';
      const message = s.status === 'interrupted' ? `Run ${runId} was interrupted at step ${s.step ?? 0}; it can be resumed.` : s.error;
      this.post({ type: 'runState', state, ...(message ? { message } : {}), resumable: s.resumable });
      this.postExamples(runId, runDir);
    }
  }

  async postEndpointKeyState(): Promise<void> {
    this.post({ type: 'endpointKey', stored: (await this.deps.endpointKey.get()) !== undefined });
  }

  /** The held-out set example by example and the top prompts, once report.json holds them. */
  private postExamples(runId: string, runDir: string): void {
    const examples = readHeldOutExamples(runDir);
    const top = readTopPrompts(runDir);
    if (examples || top) this.post({ type: 'report', runId, ...(examples ? { examples } : {}), ...top });
  }

  /**
   * The webview names dataset paths; the worker reads them. Only files in this workspace or picked in the file
   * dialog during this session are read, so a webview (or its restored state) cannot make the worker open any file.
   */
  datasetRefused(ref: DatasetRef): string | undefined {
    if (!('path' in ref)) return undefined;
    const inWorkspace = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(ref.path)) !== undefined;
    if (inWorkspace || this.pickedDatasets.has(ref.path)) return undefined;
    return `${ref.path} is outside this workspace; choose it with "Browse…" to use it`;
  }

  private async handle(m: FromWebview): Promise<void> {
    const { worker, runs, proposals, log } = this.deps;
    const dataset = m.type === 'preview' ? m.dataset : m.type === 'checkExtractor' || m.type === 'start' || m.type === 'estimate' ? m.request.dataset : undefined;
    const refused = dataset && this.datasetRefused(dataset);
    if (refused) {
      const request = m.type === 'preview' || m.type === 'start' || m.type === 'estimate' ? m.type : 'extractorCheck';
      this.post({ type: 'requestError', request, message: refused });
      return;
    }
    switch (m.type) {
      case 'ready':
        this.sendInit();
        await this.postEndpointKeyState();
        return;
      case 'setEndpointKey':
        await vscode.commands.executeCommand(COMMANDS.setEndpointKey);
        await this.postEndpointKeyState();
        return;
      case 'pickDataset': {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false, canSelectFolders: true, canSelectFiles: true, openLabel: 'Use as dataset',
          filters: { Datasets: ['json', 'jsonl', 'csv', 'tsv'], 'All files': ['*'] },
        });
        if (picked?.[0]) {
          this.pickedDatasets.add(picked[0].fsPath);
          this.post({ type: 'datasetPicked', path: picked[0].fsPath });
        } else this.post({ type: 'datasetPicked' }); // cancelled: the radio goes back to the form's dataset
        return;
      }
      case 'preview':
        try {
          const result = await worker.request(DatasetPreview, { dataset: m.dataset, questionField: m.questionField, answerField: m.answerField, rows: 5 });
          this.post({ type: 'preview', result });
        } catch (e) {
          this.post({ type: 'requestError', request: 'preview', message: errorText(e) });
        }
        return;
      case 'checkExtractor':
        await this.relay('extractorCheck', () => worker.request(ExtractorCheck, { ...this.taskOf(m.request), prompt: m.request.initialPrompt, samples: 5 }),
          (result) => this.post({ type: 'extractorCheck', result }));
        return;
      case 'estimate': {
        const r = m.request;
        await this.relay('estimate', () => worker.request(RunEstimate, {
          ...this.taskOf(r), initialPrompt: r.initialPrompt, steps: r.steps, topK: r.topK, topQ: r.topQ, trainSize: r.trainSize, ...budgetAndFormats(r),
        }), (result) => this.post({ type: 'estimate', key: m.key, result }));
        return;
      }
      case 'checkEngine':
        // a refusal is an answer, not a failure: the form shows it next to its field
        await this.relay('engineCheck', () => worker.request(EngineCheck, m.params), (result) => this.post({ type: 'engineCheck', key: m.key, result }));
        return;
      case 'start':
        this.session = { source: this.session.source };
        await this.launch(() => runs.start(m.request, this.session.source), true);
        return;
      case 'stop':
        if (await runs.cancel()) this.post({ type: 'runState', state: 'cancelling' });
        return;
      case 'resume':
        if (!this.session.runDir) return;
        const runDir = this.session.runDir;
        await this.launch(() => runs.resume(runDir), false);
        return;
      case 'apply':
      case 'revert': {
        const source = this.session.source ?? (this.session.runId ? runs.sourceFor(this.session.runId) : undefined);
        if (!source) {
          this.post({ type: 'requestError', request: 'apply', message: 'This run was not started from a prompt in a file; use Copy.' });
          return;
        }
        const out = m.type === 'apply' ? await this.deps.applyPrompt(source, m.prompt) : await revertPrompt(source, proposals);
        log.info(out.message);
        const review = m.type === 'apply' ? ' Review it in the editor: Accept or Discard above the prompt.' : '';
        if (out.ok) this.post({ type: 'applied', action: m.type, message: out.message + review });
        else this.post({ type: 'requestError', request: 'apply', message: out.message });
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(m.prompt);
        vscode.window.setStatusBarMessage('GReaTer: prompt copied', 3000);
        return;
    }
  }

  /** The task part of a worker request from the form: model, device, dataset and mapping, extractor, seed, context. */
  private taskOf(r: StartRequest) {
    return {
      model: r.model, device: r.device, dataset: r.dataset, questionField: r.questionField, answerField: r.answerField,
      extractor: r.extractor, seed: r.seed, ...(r.quantize ? { quantize: r.quantize } : {}), ...(r.precision ? { precision: r.precision } : {}),
      ...(this.session.source ? { context: this.session.source.context } : {}),
    };
  }

  /** A form request to the worker: its result to the webview, or its failure as that request's error. */
  private async relay<T>(request: 'extractorCheck' | 'estimate' | 'engineCheck', call: () => Promise<T>, done: (result: T) => void): Promise<void> {
    try {
      done(await call());
    } catch (e) {
      this.post({ type: 'requestError', request, message: errorText(e) });
    }
  }

  dispose(): void {
    if (OptimizerPanel.current === this) OptimizerPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
