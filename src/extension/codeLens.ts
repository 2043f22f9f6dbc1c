// "Optimize prompt" above every prompt the finder sees. Ranges are found in provide (a cheap scan), the
// command is attached in resolve, and the lenses refresh on a settings change (greater.codeLens.enabled).
import * as vscode from 'vscode';
import { codeLensEnabled } from './config';
import { COMMANDS, SETTINGS } from './core/ids';
import { findPrompts } from './core/promptFinder';

class PromptLens extends vscode.CodeLens {
  constructor(range: vscode.Range, readonly uri: vscode.Uri, readonly start: number, readonly end: number) {
    super(range);
  }
}

export class PromptCodeLensProvider implements vscode.CodeLensProvider<PromptLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly watch = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(`greater.${SETTINGS.codeLens}`)) this.changed.fire();
  });

  provideCodeLenses(doc: vscode.TextDocument): PromptLens[] {
    if (!codeLensEnabled()) return [];
    return findPrompts(doc.getText(), doc.languageId, doc.fileName).map((s) => {
      const pos = doc.positionAt(s.start);
      return new PromptLens(new vscode.Range(pos, pos), doc.uri, s.start, s.end);
    });
  }

  resolveCodeLens(lens: PromptLens): PromptLens {
    lens.command = {
      title: '$(sparkle) Optimize prompt',
      tooltip: 'Optimise this prompt with GReaTer on a local model',
      command: COMMANDS.optimizePrompt,
      arguments: [lens.uri, lens.start, lens.end],
    };
    return lens;
  }

  dispose(): void {
    this.watch.dispose();
    this.changed.dispose();
  }
}
