// Keeps the history index (core/history.ts) for this window: records where each run started and what Apply /
// Restore wrote, follows the prompt literals through edits of their documents (lines inserted above move the
// location), and saves the index a moment after the last change. Also diffs and restores an earlier version
// of a location's prompt: one WorkspaceEdit through Apply's guarded path, so one undo takes it back.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runsDir } from './config';
import { emptyIndex, followEdits, locationFor, locationLabel, readIndex, writeIndex, type CodeLocation, type HistoryIndex } from './core/history';
import { promptAt, renderReplacement, sourceFromSite } from './core/source';
import type { PromptSource } from '../shared/panelMessages';
import type { ApplyOutcome } from './applyEdit';
import type { Log } from './log';
import type { ProposalDocuments } from './proposalDocs';

export class RunHistory implements vscode.Disposable {
  private index: HistoryIndex;
  private readonly dir: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** changed since the last save (a window that recorded nothing writes nothing) */
  private dirty = false;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly log: Log,
    private readonly proposals: ProposalDocuments,
    private readonly apply: (source: PromptSource, text: string) => Promise<ApplyOutcome>,
  ) {
    this.dir = runsDir();
    this.index = this.dir ? readIndex(this.dir) : emptyIndex();
    this.disposables.push(this.changed, vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
  }

  /** The index as of now (the Runs view reads it on every refresh). */
  get current(): HistoryIndex {
    return this.index;
  }

  location(id: string): CodeLocation | undefined {
    return this.index.locations[id];
  }

  /** The location a run came from, if it came from a prompt in a file. */
  locationOfRun(runId: string): CodeLocation | undefined {
    const id = this.index.runs[runId]?.location;
    return id ? this.index.locations[id] : undefined;
  }

  recordRun(runId: string, source: PromptSource): void {
    const loc = this.locate(source);
    this.index.runs[runId] = { location: loc.id, at: Date.now() };
    this.saveSoon(true);
  }

  /** `written`: where Apply put the new literal (the run's source offsets may be stale by then) */
  recordApplied(source: PromptSource, written: { start: number; written: string }, prompt: string, how: 'apply' | 'restore'): void {
    const loc = this.locate({ ...source, start: written.start, end: written.start + written.written.length });
    this.index.applied.push({ location: loc.id, prompt, at: Date.now(), how });
    this.saveSoon(true);
  }

  private locate(source: PromptSource): CodeLocation {
    const line = Number(/:(\d+)$/.exec(source.label)?.[1] ?? 0);
    const file = path.basename(vscode.Uri.parse(source.uri).fsPath);
    return locationFor(this.index, { uri: source.uri, file, line, start: source.start, end: source.end });
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const uri = e.document.uri.toString();
    let moved = false;
    for (const loc of Object.values(this.index.locations)) {
      if (loc.uri !== uri || !followEdits(loc, e.contentChanges)) continue;
      loc.line = e.document.positionAt(loc.start).line + 1;
      moved = true;
    }
    if (moved) this.saveSoon(true);
  }

  private saveSoon(notify: boolean): void {
    this.dirty = true;
    if (notify) this.changed.fire();
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 300);
  }

  private save(): void {
    // the history is written where the runs are, and only where runs may be written (a trusted workspace)
    if (!this.dirty || !this.dir || !vscode.workspace.isTrusted) return;
    try {
      writeIndex(this.dir, this.index);
      this.dirty = false;
    } catch (e) {
      this.log.warn(`could not save the run history: ${(e as Error).message}`);
    }
  }

  /** The literal at a location now, as the source Apply writes into; a clear error when it is gone. */
  async sourceAt(loc: CodeLocation): Promise<{ doc: vscode.TextDocument; source: PromptSource }> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(loc.uri));
    const info = { uri: doc.uri.toString(), fileName: doc.fileName, languageId: doc.languageId, text: doc.getText() };
    const site = promptAt(info, loc.start);
    if (!site) throw new Error(`${locationLabel(loc)} no longer holds a prompt string (was it deleted?); nothing to compare or restore`);
    return { doc, source: sourceFromSite(info, site) };
  }

  /** Opens a diff: the file with this earlier prompt (left, read-only) against the file as it is (right). */
  async diff(loc: CodeLocation, prompt: string, what: string): Promise<vscode.Uri> {
    const { doc, source } = await this.sourceAt(loc);
    const text = doc.getText();
    const earlier = text.slice(0, source.start) + renderReplacement(source, prompt) + text.slice(source.end);
    const left = this.proposals.virtual(`${what}-${path.basename(doc.fileName)}`, earlier);
    await vscode.commands.executeCommand('vscode.diff', left, doc.uri, `GReaTer: ${locationLabel(loc)} — ${what} ↔ now`);
    return left;
  }

  /** Writes this earlier prompt back into the location: one undoable edit, refused (with a diff) like Apply. */
  async restore(loc: CodeLocation, prompt: string): Promise<ApplyOutcome> {
    const { doc, source } = await this.sourceAt(loc);
    await vscode.window.showTextDocument(doc, { preview: false });
    const out = await this.apply(source, prompt);
    if (out.ok) this.recordApplied(source, out, prompt, 'restore');
    return out.ok ? { ...out, message: `Restored an earlier prompt in ${locationLabel(loc)}.` } : out;
  }

  dispose(): void {
    clearTimeout(this.saveTimer);
    this.save();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
