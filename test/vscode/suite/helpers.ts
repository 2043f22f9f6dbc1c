// What the in-host test files share: workspace paths, waiting on state (never a fixed sleep), throwaway copies
// of fixtures opened in an editor, and the prompt source at a literal.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { findPrompts } from '../../../src/extension/core/promptFinder';
import { sourceFromSite, type DocInfo } from '../../../src/extension/core/source';

export const EXTENSION_ID = 'greater-authors.greater-prompt-optimizer';

export function ws(name: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, name);
}

export async function until<T>(get: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function info(doc: vscode.TextDocument): DocInfo {
  return { uri: doc.uri.toString(), fileName: doc.fileName, languageId: doc.languageId, text: doc.getText() };
}

/** A fresh copy of a fixture (or given text) under a new name, opened in an editor. */
export async function openCopy(name: string, text: string): Promise<vscode.TextDocument> {
  const uri = ws(name);
  fs.writeFileSync(uri.fsPath, text);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  return doc;
}

export function fixture(name: string): string {
  return fs.readFileSync(ws(name).fsPath, 'utf8');
}

export function sourceAt(doc: vscode.TextDocument, startsWith: string) {
  const site = findPrompts(doc.getText(), doc.languageId, doc.fileName).find((s) => doc.getText().startsWith(startsWith, s.start));
  assert.ok(site, `no prompt starting with ${startsWith}`);
  return sourceFromSite(info(doc), site);
}
