// Read-only virtual documents for diffs: "what the run started from" vs "what Apply would write", shown
// when Apply refuses because the file changed; and an earlier prompt version against the file (Runs view).
import * as vscode from 'vscode';
import type { PromptSource } from '../shared/panelMessages';

export const PROPOSAL_SCHEME = 'greater-proposal';

export class ProposalDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private seq = 0;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this);

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.path) ?? '';
  }

  /** A read-only document holding `text` (e.g. the left side of a diff). */
  virtual(name: string, text: string): vscode.Uri {
    const p = `/${++this.seq}/${name}`;
    this.docs.set(p, text);
    return vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: p });
  }

  async showDiff(source: PromptSource, before: string, after: string, why: string): Promise<void> {
    const ext = source.uri.match(/\.[A-Za-z0-9]+$/)?.[0] ?? '.txt';
    const left = this.virtual(`expected${ext}`, before);
    const right = this.virtual(`proposed${ext}`, after);
    await vscode.commands.executeCommand('vscode.diff', left, right, `GReaTer: ${source.label} — ${why}`);
  }

  dispose(): void {
    this.registration.dispose();
    this.docs.clear();
  }
}
