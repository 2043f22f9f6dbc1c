// Writes an optimised prompt into the user's file as one WorkspaceEdit (one undo step), escaped for the
// host language and quote style. Refuses, and opens a diff instead, when the text at the range changed
// since the run started. Revert puts the original literal back the same way.
import * as vscode from 'vscode';
import { locateOriginal } from './core/conflict';
import type { PromptSource } from '../shared/panelMessages';
import { renderReplacement } from './core/source';
import { ProposalDocuments } from './proposalDocs';

export type ApplyOutcome = { ok: true; message: string; written: string; start: number } | { ok: false; message: string };

/** What the last Apply wrote, per source uri+offset, so Revert can find it again. */
const lastApplied = new Map<string, { written: string; start: number }>();
const key = (s: PromptSource) => `${s.uri}#${s.start}`;

async function replaceChecked(
  source: PromptSource, expected: string, expectedStart: number, replacement: string, proposals: ProposalDocuments,
): Promise<ApplyOutcome> {
  const uri = vscode.Uri.parse(source.uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  const target = locateOriginal(doc.getText(), expectedStart, expectedStart + expected.length, expected);
  if (!target.ok) {
    await proposals.showDiff(source, expected, replacement, `${target.reason}; nothing was changed`);
    return { ok: false, message: `Not applied: ${target.reason}. A diff of the proposed change is open.` };
  }
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(doc.positionAt(target.start), doc.positionAt(target.end)), replacement);
  if (!(await vscode.workspace.applyEdit(edit))) return { ok: false, message: 'VS Code refused the edit (is the file read-only?)' };
  return { ok: true, message: `Applied to ${source.label}${target.moved ? ' (the prompt had moved; found it by its text)' : ''}.`, written: replacement, start: target.start };
}

export async function applyPrompt(source: PromptSource, newText: string, proposals: ProposalDocuments): Promise<ApplyOutcome> {
  let replacement: string;
  try {
    replacement = renderReplacement(source, newText);
  } catch (e) {
    return { ok: false, message: `Not applied: ${(e as Error).message}.` };
  }
  const out = await replaceChecked(source, source.original, source.start, replacement, proposals);
  if (out.ok) lastApplied.set(key(source), { written: out.written, start: out.start });
  return out;
}

export async function revertPrompt(source: PromptSource, proposals: ProposalDocuments): Promise<ApplyOutcome> {
  const last = lastApplied.get(key(source));
  if (!last) return { ok: false, message: 'Nothing to revert: this prompt was not applied in this window (Ctrl+Z in the editor also works).' };
  // undone in the editor already (Ctrl+Z): the original is back and the applied text gone, so there is nothing to do
  const text = (await vscode.workspace.openTextDocument(vscode.Uri.parse(source.uri))).getText();
  const applied = locateOriginal(text, last.start, last.start + last.written.length, last.written);
  const original = locateOriginal(text, source.start, source.end, source.original);
  if (!applied.ok && original.ok) {
    lastApplied.delete(key(source));
    return { ok: true, message: `${source.label} already holds the original prompt (the Apply was undone in the editor).`, written: source.original, start: original.start };
  }
  const out = await replaceChecked(source, last.written, last.start, source.original, proposals);
  if (out.ok) {
    lastApplied.delete(key(source));
    return { ...out, message: `Reverted ${source.label} to the original prompt.` };
  }
  return out;
}
