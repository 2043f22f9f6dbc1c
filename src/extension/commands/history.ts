// Commands on the Runs view's prompt versions: compare one with the code as it is now (a diff against a
// read-only copy of the file holding that version), and restore it (one undoable edit, guarded like Apply).
import * as vscode from 'vscode';
import { COMMANDS } from '../core/ids';
import type { RunsNode } from '../runsTree';
import { requireTrust, type CommandBody, type CommandDeps } from './deps';

function versionArg(arg: unknown): Extract<RunsNode, { kind: 'version' }> {
  const n = arg as RunsNode | undefined;
  if (n?.kind !== 'version' || !n.group.location) throw new Error('choose a prompt version of a code location in the Runs view');
  return n;
}

export function historyCommands(d: CommandDeps): Record<string, CommandBody> {
  const { history } = d;
  return {
    /** returns the left (earlier) document's uri, for the in-host tests */
    [COMMANDS.diffVersion]: async (arg) => {
      const n = versionArg(arg);
      return history.diff(n.group.location!, n.version.prompt, n.version.role);
    },
    [COMMANDS.restoreVersion]: async (arg) => {
      const n = versionArg(arg);
      if (!requireTrust()) return undefined;
      const out = await history.restore(n.group.location!, n.version.prompt);
      if (!out.ok) throw new Error(out.message);
      vscode.window.setStatusBarMessage(`GReaTer: ${out.message}`, 5000);
      d.tree.refresh();
      return out.message;
    },
  };
}
