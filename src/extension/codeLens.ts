// "Optimize prompt" above every prompt the finder sees, and "Optimize selection" above a non-empty selection.
// Ranges are found in provide (a cheap scan), the command is attached in resolve, and the lenses refresh on a
// settings change (greater.codeLens.enabled) and, debounced, when a selection starts or ends.
import * as vscode from 'vscode';
import { codeLensEnabled } from './config';
import { COMMANDS, SETTINGS } from './core/ids';
import { findPrompts } from './core/promptFinder';

class PromptLens extends vscode.CodeLens {
  constructor(range: vscode.Range, readonly uri: vscode.Uri, readonly start: number, readonly end: number, readonly selection = false) {
    super(range);
  }
}

export class PromptCodeLensProvider implements vscode.CodeLensProvider<PromptLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private hadSelection = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly watch = vscode.Disposable.from(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`greater.${SETTINGS.codeLens}`)) this.changed.fire();
    }),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      // refresh only when "is there a selection" flips, not on every cursor move
      const has = !e.selections[0].isEmpty;
      if (has === this.hadSelection && !has) return;
      this.hadSelection = has;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.changed.fire(), 300);
    }),
  );

  provideCodeLenses(doc: vscode.TextDocument): PromptLens[] {
    if (!codeLensEnabled()) return [];
    const lenses = findPrompts(doc.getText(), doc.languageId, doc.fileName).map((s) => {
      const pos = doc.positionAt(s.start);
      return new PromptLens(new vscode.Range(pos, pos), doc.uri, s.start, s.end);
    });
    const ed = vscode.window.activeTextEditor;
    if (ed && ed.document === doc && !ed.selection.isEmpty) {
      const at = new vscode.Position(ed.selection.start.line, 0);
      lenses.push(new PromptLens(new vscode.Range(at, at), doc.uri, doc.offsetAt(ed.selection.start), doc.offsetAt(ed.selection.end), true));
    }
    return lenses;
  }

  resolveCodeLens(lens: PromptLens): PromptLens {
    if (lens.selection) {
      lens.command = { title: '$(selection) Optimize selection', tooltip: 'Optimise the selected text with GReaTer', command: COMMANDS.optimizeSelection };
      return lens;
    }
    lens.command = {
      title: '$(sparkle) Optimize prompt',
      tooltip: 'Optimise this prompt with GReaTer on a local model',
      command: COMMANDS.optimizePrompt,
      arguments: [lens.uri, lens.start, lens.end],
    };
    return lens;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watch.dispose();
    this.changed.dispose();
  }
}
