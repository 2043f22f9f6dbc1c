// Opening the panel: on the prompt at hand (CodeLens / cursor / pick), on the selection, or on the active run.
import * as vscode from 'vscode';
import { COMMANDS } from '../core/ids';
import { sourceFromSelection } from '../core/source';
import { OptimizerPanel } from '../panel';
import { requireTrust, type CommandBody, type CommandDeps } from './deps';
import { docInfo, resolveSource } from './pickers';

export function optimizeCommands(d: CommandDeps): Record<string, CommandBody> {
  return {
    [COMMANDS.optimizePrompt]: async (...args) => {
      if (!requireTrust()) return undefined;
      const source = await resolveSource(args);
      if (!source && vscode.window.activeTextEditor) {
        vscode.window.showInformationMessage('GReaTer: no prompt found here. Select the prompt text and run "Optimize Selection", or add a "greater-prompt" comment above it.');
      }
      d.openPanel(source ? { source } : {});
      return source?.label;
    },
    [COMMANDS.optimizeSelection]: async () => {
      if (!requireTrust()) return undefined;
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) throw new Error('select the prompt text in an editor first');
      const doc = editor.document;
      const source = sourceFromSelection(docInfo(doc), doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end));
      d.openPanel({ source });
      return source.label;
    },
    [COMMANDS.showPanel]: () => {
      const run = d.runs.current;
      d.openPanel(run ? { runId: run.runId, runDir: run.runDir, source: d.runs.sourceFor(run.runId) } : OptimizerPanel.current?.currentSession ?? {});
    },
  };
}
