// Activation: wires the log, the worker client, the run controller, CodeLens, Runs view, status bar,
// panel (+ its serializer) and the commands. Everything registered goes into context.subscriptions.
// Untrusted workspaces get CodeLens and the Runs view but never a worker or a model.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { BUILTIN_DEMO_MODEL, BUILTIN_DEMO_TASK, EvalPrompt, type DatasetRef } from '../worker/protocol';
import { PromptCodeLensProvider } from './codeLens';
import { runSettings, runsDir, setModel } from './config';
import { COMMANDS, CONTEXT_KEYS, PANEL_VIEW_TYPE, RUNS_VIEW } from './core/ids';
import { applyPrompt, revertPrompt, type ApplyOutcome } from './applyEdit';
import type { PromptSource } from '../shared/panelMessages';
import { findPrompts, SUPPORTED_LANGUAGE_IDS } from './core/promptFinder';
import { listRuns, type RunSummary } from './core/runs';
import { promptAt, sourceFromSelection, sourceFromSite, type DocInfo } from './core/source';
import { isRunFolder } from './core/trust';
import { Log } from './log';
import { OptimizerPanel, type PanelDeps } from './panel';
import { ProposalDocuments } from './proposalDocs';
import { RunController } from './runController';
import { RunLogDocuments } from './runLog';
import { RunsTreeProvider } from './runsTree';
import { TokenStore } from './secrets';
import { RunStatusBar } from './statusBar';
import { WorkerClient } from './workerClient';
import { isAlive } from '../worker/protocol/lock';

/** Returned from activate() for the in-host tests; not a public API. */
export interface ExtensionApi {
  worker: WorkerClient;
  runs: RunController;
  panel(): OptimizerPanel | undefined;
  applyPrompt(source: PromptSource, newText: string): Promise<ApplyOutcome>;
  revertPrompt(source: PromptSource): Promise<ApplyOutcome>;
}

function docInfo(doc: vscode.TextDocument): DocInfo {
  return { uri: doc.uri.toString(), fileName: doc.fileName, languageId: doc.languageId, text: doc.getText() };
}

function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('GReaTer runs a model only in a trusted workspace.', 'Manage Workspace Trust').then((pick) => {
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

async function reportError(log: Log, what: string, e: unknown): Promise<void> {
  const msg = `${what}: ${(e as Error)?.message ?? String(e)}`;
  log.error(msg);
  const pick = await vscode.window.showErrorMessage(`GReaTer: ${msg}`, 'Show Log');
  if (pick) log.show();
}

/** The prompt a command should act on: explicit (CodeLens args), at the cursor, the selection, or picked. */
async function resolveSource(args: unknown[]): Promise<PromptSource | undefined> {
  const [uriArg, startArg] = args;
  if (uriArg instanceof vscode.Uri && typeof startArg === 'number') {
    const doc = await vscode.workspace.openTextDocument(uriArg);
    const info = docInfo(doc);
    const site = findPrompts(info.text, info.languageId, info.fileName).find((s) => s.start === startArg);
    if (!site) throw new Error(`the prompt at ${doc.fileName}:${doc.positionAt(startArg).line + 1} has changed; try the CodeLens again`);
    return sourceFromSite(info, site);
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor) return undefined;
  const info = docInfo(editor.document);
  const sel = editor.selection;
  if (!sel.isEmpty) return sourceFromSelection(info, editor.document.offsetAt(sel.start), editor.document.offsetAt(sel.end));
  const here = promptAt(info, editor.document.offsetAt(sel.active));
  if (here) return sourceFromSite(info, here);
  const all = findPrompts(info.text, info.languageId, info.fileName);
  if (all.length === 0) return undefined;
  const pick = await vscode.window.showQuickPick(
    all.map((s) => ({ label: s.value.replace(/\s+/g, ' ').slice(0, 80), description: `line ${editor.document.positionAt(s.start).line + 1}`, site: s })),
    { title: 'GReaTer: which prompt?' },
  );
  return pick ? sourceFromSite(info, pick.site) : undefined;
}

async function pickRun(filter: (r: RunSummary) => boolean, title: string): Promise<string | undefined> {
  const dir = runsDir();
  const runs = dir ? listRuns(dir, isAlive).filter(filter) : [];
  if (runs.length === 0) {
    vscode.window.showInformationMessage(`GReaTer: no runs to choose from in ${dir ?? 'this workspace'}.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    runs.map((r) => ({ label: r.id, description: `${r.status}${r.step !== undefined ? ` · step ${r.step}/${r.totalSteps ?? '?'}` : ''}`, detail: r.bestPrompt, dir: r.dir })),
    { title },
  );
  return pick?.dir;
}

/** Accepts a run folder path (from notifications, tree item command args) or a tree element. */
function runDirArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && typeof (arg as RunSummary).dir === 'string') return (arg as RunSummary).dir;
  return undefined;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = new Log();
  const tokens = new TokenStore(context.secrets, log);
  const worker = new WorkerClient(vscode.Uri.joinPath(context.extensionUri, 'out', 'worker.js').fsPath, log, () => tokens.get());
  const runs = new RunController(worker, context.workspaceState, log);
  const proposals = new ProposalDocuments();
  const runLogs = new RunLogDocuments();
  const tree = new RunsTreeProvider();
  const lenses = new PromptCodeLensProvider();
  const deps: PanelDeps = { extensionUri: context.extensionUri, worker, runs, proposals, log };
  const selector = SUPPORTED_LANGUAGE_IDS.map((language) => ({ language }));
  const openPanel = (session: Parameters<typeof OptimizerPanel.show>[1]) => OptimizerPanel.show(deps, session);

  const command = (id: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        await reportError(log, id.replace('greater.', ''), e);
        return undefined;
      }
    });

  context.subscriptions.push(
    log, worker, runs, proposals, runLogs, tree, lenses,
    new RunStatusBar(runs),
    vscode.languages.registerCodeLensProvider(selector, lenses),
    vscode.window.registerTreeDataProvider(RUNS_VIEW, tree),
    runs.onDidChange(() => tree.refresh()),
    tokens.onDidChange(() => {
      // the token is read at fork time: restart an idle worker so the next request sees the new value
      if (!runs.current) void worker.stop();
    }),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        OptimizerPanel.revive(panel, deps, state);
      },
    }),
    { dispose: () => OptimizerPanel.current?.dispose() },

    command(COMMANDS.optimizePrompt, async (...args) => {
      if (!requireTrust()) return undefined;
      const source = await resolveSource(args);
      if (!source && vscode.window.activeTextEditor) {
        vscode.window.showInformationMessage('GReaTer: no prompt found here. Select the prompt text and run "Optimize Selection", or add a "greater-prompt" comment above it.');
      }
      openPanel(source ? { source } : {});
      return source?.label;
    }),
    command(COMMANDS.optimizeSelection, async () => {
      if (!requireTrust()) return undefined;
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) throw new Error('select the prompt text in an editor first');
      const doc = editor.document;
      const source = sourceFromSelection(docInfo(doc), doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end));
      openPanel({ source });
      return source.label;
    }),
    command(COMMANDS.showPanel, () => {
      const run = runs.current;
      openPanel(run ? { runId: run.runId, runDir: run.runDir, source: runs.sourceFor(run.runId) } : OptimizerPanel.current?.currentSession ?? {});
    }),
    command(COMMANDS.resumeRun, async (arg) => {
      if (!requireTrust()) return undefined;
      const dir = runDirArg(arg) ?? (await pickRun((r) => r.resumable, 'GReaTer: resume which run?'));
      if (!dir) return undefined;
      const res = await runs.resume(dir);
      openPanel({ runId: res.runId, runDir: res.runDir, source: runs.sourceFor(res.runId) });
      return res.runId;
    }),
    command(COMMANDS.cancelRun, async () => {
      if (!(await runs.cancel())) vscode.window.showInformationMessage('GReaTer: no run is active.');
    }),
    command(COMMANDS.openRun, async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun(() => true, 'GReaTer: open which run?'));
      if (!dir) return;
      const runId = runs.runIdOf(dir);
      openPanel({ runId, runDir: dir, source: runs.sourceFor(runId) });
    }),
    command(COMMANDS.showRunLog, async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun(() => true, 'GReaTer: show the log of which run?'));
      if (dir) await runLogs.open(dir);
    }),
    command(COMMANDS.deleteRun, async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun((r) => r.status !== 'running', 'GReaTer: delete which run?'));
      if (!dir) return;
      if (!vscode.workspace.isTrusted) throw new Error('GReaTer deletes runs only in trusted workspaces. Trust this workspace first.');
      const root = runsDir();
      if (!root || !isRunFolder(root, dir)) throw new Error(`${dir} is not a run folder inside the runs folder ${root ?? '(no workspace)'}; nothing deleted`);
      if (runs.current && runs.current.runDir === dir) throw new Error('this run is active; cancel it first');
      const ok = await vscode.window.showWarningMessage(`Delete the run folder ${dir}?`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return;
      fs.rmSync(dir, { recursive: true, force: true });
      tree.refresh();
    }),
    command(COMMANDS.refreshRuns, () => tree.refresh()),
    command(COMMANDS.showRuns, () => vscode.commands.executeCommand(`${RUNS_VIEW}.focus`)),
    command(COMMANDS.showLog, () => log.show()),
    command(COMMANDS.setHfToken, () => tokens.prompt()),
    command(COMMANDS.selectModel, async () => {
      const current = runSettings().model;
      const items: (vscode.QuickPickItem & { value?: string })[] = [
        { label: '$(beaker) Built-in demo model', description: 'no download, runs in seconds on a CPU', value: BUILTIN_DEMO_MODEL },
        { label: '$(cloud-download) Hugging Face model id…', description: 'e.g. HuggingFaceTB/SmolLM2-360M-Instruct' },
        { label: '$(folder) Local model folder…', description: 'config.json + safetensors + tokenizer.json' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: `GReaTer: model (now: ${current})` });
      if (!pick) return undefined;
      let model = pick.value;
      if (!model && pick.label.includes('Hugging Face')) {
        model = await vscode.window.showInputBox({ title: 'Hugging Face model id', value: current === BUILTIN_DEMO_MODEL ? '' : current, validateInput: (v) => (/^[\w.-]+\/[\w.-]+$/.test(v.trim()) ? undefined : 'owner/name') });
      } else if (!model) {
        const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
        model = folder?.[0]?.fsPath;
      }
      if (!model) return undefined;
      await setModel(model.trim());
      return model.trim();
    }),
    command(COMMANDS.evaluatePrompt, async (...args) => {
      if (!requireTrust()) return undefined;
      const source = await resolveSource(args);
      if (!source) throw new Error('put the cursor in a prompt (or select one) first');
      const choice = await vscode.window.showQuickPick([{ label: 'Built-in demo task', id: 'demo' }, { label: 'Dataset file…', id: 'file' }], { title: 'GReaTer: evaluate on' });
      if (!choice) return undefined;
      let dataset: DatasetRef = { builtin: BUILTIN_DEMO_TASK };
      if (choice.id === 'file') {
        const f = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Datasets: ['json', 'jsonl', 'csv', 'tsv'] } });
        if (!f?.[0]) return undefined;
        dataset = { path: f[0].fsPath };
      }
      const s = runSettings();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `GReaTer: evaluating ${source.label}`, cancellable: true },
        (_p, token) => worker.request(EvalPrompt, {
          model: s.model, device: s.device, dataset, extractor: { preset: 'auto' }, seed: s.seed, prompt: source.optimizable,
          context: source.context, split: 'heldout', trainSize: s.trainSize,
        }, token),
      );
      const msg = `${source.label}: held-out accuracy ${result.correct}/${result.total} (${(result.accuracy * 100).toFixed(1)}%).`;
      vscode.window.showInformationMessage(`GReaTer: ${msg}`);
      return result;
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
  );
  void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.promptLanguages, SUPPORTED_LANGUAGE_IDS);
  log.info(`activated (${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: no worker'} workspace)`);
  return {
    worker, runs, panel: () => OptimizerPanel.current,
    applyPrompt: (source, text) => applyPrompt(source, text, proposals),
    revertPrompt: (source) => revertPrompt(source, proposals),
  };
}

export function deactivate(): void {
  // disposables in context.subscriptions stop the worker
}
