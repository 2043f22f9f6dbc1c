// What the command bodies are handed by activate(), and the two guards every command shares: workspace trust
// and one error path (log + notification with "Show Log").
import * as vscode from 'vscode';
import type { ApplyReview } from '../applyReview';
import type { RunHistory } from '../history';
import type { Log } from '../log';
import type { PanelSession } from '../panel';
import type { RunController } from '../runController';
import type { RunLogDocuments } from '../runLog';
import type { RunsTreeProvider } from '../runsTree';
import type { EndpointKeyStore, TokenStore } from '../secrets';
import type { WorkerClient } from '../workerClient';

export interface CommandDeps {
  log: Log;
  worker: WorkerClient;
  runs: RunController;
  runLogs: RunLogDocuments;
  tree: RunsTreeProvider;
  tokens: TokenStore;
  endpointKey: EndpointKeyStore;
  review: ApplyReview;
  history: RunHistory;
  openPanel(session: PanelSession): void;
}

/** A command body: receives the command's arguments, returns what the in-host tests read. */
export type CommandBody = (...args: unknown[]) => unknown;

export function requireTrust(): boolean {
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

/** Registers a command whose failures are logged and shown, never thrown into the workbench. */
export function registerCommand(log: Log, id: string, fn: CommandBody): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (e) {
      await reportError(log, id.replace('greater.', ''), e);
      return undefined;
    }
  });
}
