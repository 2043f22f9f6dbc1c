// Read-only "run log" documents (scheme greater-run-log, path = run folder): events.jsonl rendered as text
// in the greater-run-log language, which syntaxes/greater-run-log.tmLanguage.json colours.
import * as vscode from 'vscode';
import { RUN_LOG_LANGUAGE, RUN_LOG_SCHEME } from './core/ids';
import { formatRunLog, readEvents } from './core/runs';

export class RunLogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(RUN_LOG_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return formatRunLog(readEvents(uri.path));
  }

  async open(runDir: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: RUN_LOG_SCHEME, path: runDir });
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, RUN_LOG_LANGUAGE);
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
