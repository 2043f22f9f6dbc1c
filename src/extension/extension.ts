// Activation wires, nothing more: the log, the worker client, the run controller, CodeLens, Runs view, status
// bar, panel (+ its serializer) and the commands (bodies in ./commands/). Everything registered goes into
// context.subscriptions. Untrusted workspaces get CodeLens and the Runs view but never a worker or a model.
import * as vscode from 'vscode';
import { PromptCodeLensProvider } from './codeLens';
import { allCommands, registerCommand, type CommandDeps } from './commands';
import { CONTEXT_KEYS, PANEL_VIEW_TYPE, RUNS_VIEW } from './core/ids';
import { applyPrompt, revertPrompt, type ApplyOutcome } from './applyEdit';
import { ApplyReview } from './applyReview';
import { RunHistory } from './history';
import type { PromptSource } from '../shared/panelMessages';
import { SUPPORTED_LANGUAGE_IDS } from './core/promptFinder';
import { Log } from './log';
import { OptimizerPanel, type PanelDeps } from './panel';
import { ProposalDocuments } from './proposalDocs';
import { RunController } from './runController';
import { RunLogDocuments } from './runLog';
import { RunsTreeProvider } from './runsTree';
import { EndpointKeyStore, TokenStore } from './secrets';
import { RunStatusBar } from './statusBar';
import { WorkerClient } from './workerClient';

/** Returned from activate() for the in-host tests; not a public API. */
export interface ExtensionApi {
  worker: WorkerClient;
  runs: RunController;
  runsTree: RunsTreeProvider;
  history: RunHistory;
  review: ApplyReview;
  endpointKey: EndpointKeyStore;
  panel(): OptimizerPanel | undefined;
  applyPrompt(source: PromptSource, newText: string): Promise<ApplyOutcome>;
  revertPrompt(source: PromptSource): Promise<ApplyOutcome>;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = new Log();
  const tokens = new TokenStore(context.secrets, log);
  const endpointKey = new EndpointKeyStore(context.secrets, log);
  const worker = new WorkerClient(vscode.Uri.joinPath(context.extensionUri, 'out', 'worker.js').fsPath, log, () => tokens.get(), () => endpointKey.get());
  const runs = new RunController(worker, context.workspaceState, log);
  const proposals = new ProposalDocuments();
  const review = new ApplyReview((source) => revertPrompt(source, proposals));
  const history = new RunHistory(log, proposals, (source, text) => applyPrompt(source, text, proposals));
  const applyForReview = async (source: PromptSource, text: string): Promise<ApplyOutcome> => {
    const out = await applyPrompt(source, text, proposals);
    if (out.ok) {
      review.show(source, out.start, out.written);
      history.recordApplied(source, out, text, 'apply');
    }
    return out;
  };
  const runLogs = new RunLogDocuments();
  const tree = new RunsTreeProvider(history, (runId) => runs.sourceFor(runId)?.label);
  const lenses = new PromptCodeLensProvider();
  const panelDeps: PanelDeps = { extensionUri: context.extensionUri, worker, runs, proposals, log, endpointKey, applyPrompt: applyForReview };
  const selector = SUPPORTED_LANGUAGE_IDS.map((language) => ({ language }));
  const commandDeps: CommandDeps = { log, worker, runs, runLogs, tree, tokens, endpointKey, review, history, openPanel: (session) => OptimizerPanel.show(panelDeps, session) };

  context.subscriptions.push(
    log, worker, runs, proposals, review, history, runLogs, tree, lenses,
    new RunStatusBar(runs),
    vscode.languages.registerCodeLensProvider(selector, lenses),
    vscode.window.registerTreeDataProvider(RUNS_VIEW, tree),
    runs.onDidChange(() => tree.refresh()),
    runs.onStarted(({ runId, source }) => source && history.recordRun(runId, source)),
    history.onDidChange(() => tree.refresh()),
    // the secrets are read at fork time: restart an idle worker so the next request sees the new value
    ...[tokens, endpointKey].map((s) => s.onDidChange(() => { if (!runs.current) void worker.stop(); })),
    endpointKey.onDidChange(() => OptimizerPanel.current?.postEndpointKeyState()),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, state) {
        OptimizerPanel.revive(panel, panelDeps, state);
      },
    }),
    { dispose: () => OptimizerPanel.current?.dispose() },
    ...Object.entries(allCommands(commandDeps)).map(([id, body]) => registerCommand(log, id, body)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => tree.refresh()),
  );
  void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.promptLanguages, SUPPORTED_LANGUAGE_IDS);
  log.info(`activated (${vscode.workspace.isTrusted ? 'trusted' : 'untrusted: no worker'} workspace)`);
  return {
    worker, runs, runsTree: tree, history, review, endpointKey, panel: () => OptimizerPanel.current,
    applyPrompt: applyForReview,
    revertPrompt: (source) => revertPrompt(source, proposals),
  };
}

export function deactivate(): void {
  // disposables in context.subscriptions stop the worker
}
