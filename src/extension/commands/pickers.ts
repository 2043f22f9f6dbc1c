// Which prompt or run a command acts on: explicit arguments (CodeLens, tree items, notifications) first, then
// the editor's cursor or selection, then a quick pick.
import * as vscode from 'vscode';
import { runsDir } from '../config';
import type { PromptSource } from '../../shared/panelMessages';
import { findPrompts } from '../core/promptFinder';
import { listRuns, type RunSummary } from '../core/runs';
import { promptAt, sourceFromSelection, sourceFromSite, type DocInfo } from '../core/source';
import { isAlive } from '../../worker/protocol/lock';

export function docInfo(doc: vscode.TextDocument): DocInfo {
  return { uri: doc.uri.toString(), fileName: doc.fileName, languageId: doc.languageId, text: doc.getText() };
}

/** The prompt a command should act on: explicit (CodeLens args), at the cursor, the selection, or picked. */
export async function resolveSource(args: unknown[]): Promise<PromptSource | undefined> {
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

export async function pickRun(filter: (r: RunSummary) => boolean, title: string): Promise<string | undefined> {
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

/** Accepts a run folder path (from notifications, tree item command args), a run summary or a Runs view run row. */
export function runDirArg(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (!arg || typeof arg !== 'object') return undefined;
  const run = (arg as { kind?: unknown; run?: RunSummary }).kind === 'run' ? (arg as { run: RunSummary }).run : (arg as RunSummary);
  return typeof run?.dir === 'string' ? run.dir : undefined;
}
