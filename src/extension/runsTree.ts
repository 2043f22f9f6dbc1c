// The Runs view: one item per run folder (running / done / cancelled / failed / interrupted), labelled by the
// prompt's file:line when it came from one, with its best score; contextValue selects the inline actions (package.json `when` clauses). Refreshes on run changes
// and on writes to events.jsonl (also from CLI runs in the same folder).
import * as vscode from 'vscode';
import { runsDir } from './config';
import { COMMANDS, RUN_ITEM_CONTEXT } from './core/ids';
import { listRuns, runLabel, type RunSummary } from './core/runs';
import { isAlive } from '../worker/protocol/lock';

const ICONS: Record<RunSummary['status'], [string, string?]> = {
  running: ['sync~spin', 'charts.blue'],
  done: ['pass', 'charts.green'],
  cancelled: ['debug-stop', 'charts.yellow'],
  failed: ['error', 'charts.red'],
  interrupted: ['debug-pause', 'charts.orange'],
};

export class RunsTreeProvider implements vscode.TreeDataProvider<RunSummary>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** `sourceLabel`: the prompt's file:line for runs started from one (the run controller remembers them) */
  constructor(private readonly sourceLabel: (runId: string) => string | undefined = () => undefined) {
    const dir = runsDir();
    if (dir) {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '**/{events.jsonl,.active.lock}'));
      const poke = () => this.refreshSoon();
      this.watcher.onDidChange(poke);
      this.watcher.onDidCreate(poke);
      this.watcher.onDidDelete(poke);
    }
  }

  refresh(): void {
    this.changed.fire();
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 500);
  }

  runs(): RunSummary[] {
    const dir = runsDir();
    return dir ? listRuns(dir, isAlive) : [];
  }

  getChildren(element?: RunSummary): RunSummary[] {
    return element ? [] : this.runs();
  }

  getTreeItem(r: RunSummary): vscode.TreeItem {
    const { label, idNote } = runLabel(r, this.sourceLabel(r.id));
    const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
    const progress = r.step !== undefined ? `${r.step}/${r.totalSteps ?? '?'}` : '';
    const score = r.bestScore !== undefined ? `best ${r.bestScore.toFixed(3)}` : '';
    const acc = r.bestAccuracy !== undefined ? `acc ${(r.bestAccuracy * 100).toFixed(0)}%` : '';
    item.description = [r.status, progress, score, acc, idNote].filter(Boolean).join(' · ');
    const [icon, color] = ICONS[r.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const tip = new vscode.MarkdownString();
    tip.appendText(`${r.model ?? '?'} · ${r.task ?? '?'}\n`);
    if (r.bestPrompt) tip.appendText(`best: ${r.bestPrompt}\n`);
    if (r.error) tip.appendText(`error: ${r.error}`);
    item.tooltip = tip;
    item.contextValue = r.status === 'running' ? RUN_ITEM_CONTEXT.running : r.resumable ? RUN_ITEM_CONTEXT.resumable : RUN_ITEM_CONTEXT.finished;
    item.command = { title: 'Open run', command: COMMANDS.openRun, arguments: [r.dir] };
    item.id = r.dir;
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
