// Apply as an inline diff to review: the written prompt is highlighted in the editor with the text it replaced
// shown struck through in front of it, and a CodeLens above offers Accept (keep it, clear the marks) or Discard
// (put the original back, one more undoable edit). Editing the applied text away (Ctrl+Z) ends the review too.
import * as vscode from 'vscode';
import type { PromptSource } from '../shared/panelMessages';
import { COMMANDS } from './core/ids';

interface Pending {
  source: PromptSource;
  /** offsets of the written literal, kept in step with edits above it */
  start: number;
  written: string;
  replaced: string;
}

export class ApplyReview implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly inserted = vscode.window.createTextEditorDecorationType({
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedTextBackground'),
    border: '1px solid', borderColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
  });
  private readonly removed = vscode.window.createTextEditorDecorationType({});
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly discardEdit: (source: PromptSource) => Thenable<{ ok: boolean; message: string }>) {
    this.disposables.push(
      this.inserted, this.removed, this.lensesChanged,
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorateAll()),
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
    );
  }

  /** Starts the review of what Apply just wrote at `start` in the source's file. */
  show(source: PromptSource, start: number, written: string): void {
    this.pending.set(source.uri, { source, start, written, replaced: source.original });
    this.decorateAll();
    this.lensesChanged.fire();
  }

  isPending(uri: vscode.Uri): boolean {
    return this.pending.has(uri.toString());
  }

  accept(uri?: vscode.Uri): string | undefined {
    const p = this.take(uri);
    return p && `Kept the new prompt in ${p.source.label}.`;
  }

  async discard(uri?: vscode.Uri): Promise<string | undefined> {
    const p = this.take(uri);
    if (!p) return undefined;
    const out = await this.discardEdit(p.source);
    if (!out.ok) throw new Error(out.message);
    return out.message;
  }

  private take(uri?: vscode.Uri): Pending | undefined {
    const key = (uri ?? vscode.window.activeTextEditor?.document.uri)?.toString();
    const p = key ? this.pending.get(key) : [...this.pending.values()][0];
    if (!p) return undefined;
    this.pending.delete(p.source.uri);
    this.decorateAll();
    this.lensesChanged.fire();
    return p;
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const p = this.pending.get(e.document.uri.toString());
    if (!p || e.contentChanges.length === 0) return;
    // follow edits above the prompt; any edit touching it (Ctrl+Z, typing, Discard) ends the review
    let start = p.start;
    for (const c of e.contentChanges) {
      if (c.rangeOffset + c.rangeLength <= start) start += c.text.length - c.rangeLength;
      else if (c.rangeOffset < start + p.written.length) start = -1;
      if (start < 0) break;
    }
    if (start < 0 || e.document.getText().slice(start, start + p.written.length) !== p.written) this.pending.delete(p.source.uri);
    else p.start = start;
    this.decorateAll();
    this.lensesChanged.fire();
  }

  private decorateAll(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      const p = this.pending.get(ed.document.uri.toString());
      if (!p) {
        ed.setDecorations(this.inserted, []);
        ed.setDecorations(this.removed, []);
        continue;
      }
      const range = new vscode.Range(ed.document.positionAt(p.start), ed.document.positionAt(p.start + p.written.length));
      ed.setDecorations(this.inserted, [{ range, hoverMessage: 'GReaTer: applied prompt (Accept or Discard above)' }]);
      const old = p.replaced.replace(/\s+/g, ' ');
      ed.setDecorations(this.removed, [{
        range: new vscode.Range(range.start, range.start),
        renderOptions: { before: { contentText: old.length > 120 ? `${old.slice(0, 117)}…` : old, textDecoration: 'line-through; opacity: 0.7', color: new vscode.ThemeColor('gitDecoration.deletedResourceForeground'), margin: '0 0.5em 0 0' } },
      }]);
    }
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const p = this.pending.get(doc.uri.toString());
    if (!p) return [];
    const at = new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.start));
    return [
      new vscode.CodeLens(at, { title: '$(check) Accept optimised prompt', command: COMMANDS.acceptApplied, arguments: [doc.uri] }),
      new vscode.CodeLens(at, { title: '$(discard) Discard (restore the original)', command: COMMANDS.discardApplied, arguments: [doc.uri] }),
    ];
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.pending.clear();
  }
}
