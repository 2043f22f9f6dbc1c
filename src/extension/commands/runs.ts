// Commands on runs: resume, cancel, open in the panel, show the log, delete (only real run folders, only in
// trusted workspaces), and the Runs view's refresh/focus.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { runsDir } from '../config';
import { COMMANDS, RUNS_VIEW } from '../core/ids';
import { isRunFolder } from '../core/trust';
import { requireTrust, type CommandBody, type CommandDeps } from './deps';
import { pickRun, runDirArg } from './pickers';

export function runCommands(d: CommandDeps): Record<string, CommandBody> {
  const { runs, tree } = d;
  return {
    [COMMANDS.resumeRun]: async (arg) => {
      if (!requireTrust()) return undefined;
      const dir = runDirArg(arg) ?? (await pickRun((r) => r.resumable, 'GReaTer: resume which run?'));
      if (!dir) return undefined;
      const res = await runs.resume(dir);
      d.openPanel({ runId: res.runId, runDir: res.runDir, source: runs.sourceFor(res.runId) });
      return res.runId;
    },
    [COMMANDS.cancelRun]: async () => {
      if (!(await runs.cancel())) vscode.window.showInformationMessage('GReaTer: no run is active.');
    },
    [COMMANDS.openRun]: async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun(() => true, 'GReaTer: open which run?'));
      if (!dir) return;
      const runId = runs.runIdOf(dir);
      d.openPanel({ runId, runDir: dir, source: runs.sourceFor(runId) });
    },
    [COMMANDS.showRunLog]: async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun(() => true, 'GReaTer: show the log of which run?'));
      if (dir) await d.runLogs.open(dir);
    },
    [COMMANDS.deleteRun]: async (arg) => {
      const dir = runDirArg(arg) ?? (await pickRun((r) => r.status !== 'running', 'GReaTer: delete which run?'));
      if (!dir) return;
      if (!vscode.workspace.isTrusted) throw new Error('GReaTer deletes runs only in trusted workspaces. Trust this workspace first.');
      const root = runsDir();
      if (!root || !isRunFolder(root, dir)) throw new Error(`${dir} is not a run folder inside the runs folder ${root ?? '(no workspace)'}; nothing deleted`);
      if (runs.current && runs.current.runDir === dir) throw new Error('this run is active; cancel it first');
      const ok = await vscode.window.showWarningMessage(`Delete the run folder ${dir}?`, { modal: true }, 'Delete');
      if (ok !== 'Delete') return;
      fs.rmSync(dir, { recursive: true, force: true });
      tree.refresh();
    },
    [COMMANDS.refreshRuns]: () => tree.refresh(),
    [COMMANDS.showRuns]: () => vscode.commands.executeCommand(`${RUNS_VIEW}.focus`),
  };
}
