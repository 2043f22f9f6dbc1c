// The Runs view: runs grouped by the prompt literal they came from (file:line, following edits), each group
// showing that prompt's lineage oldest first: the starting prompt, each run (running / done / cancelled /
// failed / interrupted, with its held-out accuracy), and the prompts applied or restored in between. A run
// expands into the prompts it started from and found; every prompt version offers Diff and Restore. Runs
// with no code location (CLI runs, palette runs on a typed prompt) have their own group. contextValue selects
// the inline actions (package.json `when` clauses). Refreshes on run changes, on history changes and on writes
// to events.jsonl (also from CLI runs in the same folder).
import * as vscode from 'vscode';
import { runsDir } from './config';
import { groupRuns, locationLabel, runVersions, type HistoryGroup, type LineageEntry } from './core/history';
import { COMMANDS, HISTORY_ITEM_CONTEXT, RUN_ITEM_CONTEXT } from './core/ids';
import { listRuns, runLabel, type RunSummary } from './core/runs';
import type { RunHistory } from './history';
import { isAlive } from '../worker/protocol/lock';

const ICONS: Record<RunSummary['status'], [string, string?]> = {
  running: ['sync~spin', 'charts.blue'],
  done: ['pass', 'charts.green'],
  cancelled: ['debug-stop', 'charts.yellow'],
  failed: ['error', 'charts.red'],
  interrupted: ['debug-pause', 'charts.orange'],
};

export type VersionEntry = Extract<LineageEntry, { kind: 'version' }>;

/** One row of the view. Version rows carry what Diff / Restore need: the location and the prompt. */
export type RunsNode =
  | { kind: 'group'; group: HistoryGroup }
  | { kind: 'run'; run: RunSummary; group: HistoryGroup; at: number }
  | { kind: 'version'; version: VersionEntry; group: HistoryGroup; key: string };

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const ROLE_LABEL: Record<VersionEntry['role'], string> = { initial: 'initial prompt', best: 'best prompt', applied: 'applied', restored: 'restored' };

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** `sourceLabel`: file:line of runs remembered from before the history index (labels in the no-location group) */
  constructor(private readonly history: RunHistory, private readonly sourceLabel: (runId: string) => string | undefined = () => undefined) {
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

  /** The groups as the view shows them: by code location, newest first, the no-location group last. */
  groups(): HistoryGroup[] {
    return groupRuns(this.runs(), this.history.current);
  }

  getChildren(element?: RunsNode): RunsNode[] {
    if (!element) return this.groups().map((group) => ({ kind: 'group', group }));
    const group = element.group;
    if (element.kind === 'group') {
      return group.lineage.map((e, i): RunsNode => (e.kind === 'run'
        ? { kind: 'run', run: e.run, group, at: e.at }
        : { kind: 'version', version: e, group, key: `${group.id}/${i}` }));
    }
    if (element.kind === 'run' && group.location) {
      return runVersions(element.run, element.at).map((v) => ({ kind: 'version', version: v as VersionEntry, group, key: `${element.run.id}/${(v as VersionEntry).role}` }));
    }
    return [];
  }

  getTreeItem(n: RunsNode): vscode.TreeItem {
    switch (n.kind) {
      case 'group': return this.groupItem(n.group);
      case 'run': return this.runItem(n.run, n.group);
      case 'version': return this.versionItem(n.version, n.group, n.key);
    }
  }

  private groupItem(g: HistoryGroup): vscode.TreeItem {
    const item = new vscode.TreeItem(g.location ? locationLabel(g.location) : 'No code location', vscode.TreeItemCollapsibleState.Expanded);
    const first = g.runs[g.runs.length - 1], last = g.runs[0];
    const acc = g.location && first.initialAccuracy !== undefined && last.bestAccuracy !== undefined
      ? `held-out ${pct(first.initialAccuracy)} → ${pct(last.bestAccuracy)}` : '';
    item.description = [`${g.runs.length} run${g.runs.length === 1 ? '' : 's'}`, acc].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(g.location ? 'symbol-string' : 'terminal');
    item.tooltip = g.location ? vscode.Uri.parse(g.location.uri).fsPath : 'Runs not started from a prompt in a file (CLI runs, typed prompts)';
    item.contextValue = g.location ? HISTORY_ITEM_CONTEXT.location : HISTORY_ITEM_CONTEXT.noLocation;
    item.id = `group:${g.id}`;
    return item;
  }

  private runItem(r: RunSummary, g: HistoryGroup): vscode.TreeItem {
    const { label, idNote } = g.location ? { label: r.id, idNote: undefined } : runLabel(r, this.sourceLabel(r.id));
    const item = new vscode.TreeItem(label, g.location ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    const progress = r.step !== undefined ? `${r.step}/${r.totalSteps ?? '?'}` : '';
    const score = r.bestScore !== undefined ? `best ${r.bestScore.toFixed(3)}` : '';
    const acc = r.bestAccuracy !== undefined ? `held-out ${r.initialAccuracy !== undefined ? `${pct(r.initialAccuracy)} → ` : ''}${pct(r.bestAccuracy)}` : '';
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

  private versionItem(v: VersionEntry, g: HistoryGroup, key: string): vscode.TreeItem {
    const item = new vscode.TreeItem(ROLE_LABEL[v.role], vscode.TreeItemCollapsibleState.None);
    const text = v.prompt.replace(/\s+/g, ' ');
    item.description = [v.accuracy !== undefined ? `held-out ${pct(v.accuracy)}` : '', JSON.stringify(text.length > 60 ? `${text.slice(0, 59)}…` : text)].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString().appendText(v.prompt);
    item.iconPath = new vscode.ThemeIcon(v.role === 'applied' || v.role === 'restored' ? 'edit' : 'quote');
    item.contextValue = g.location ? HISTORY_ITEM_CONTEXT.version : undefined;
    if (g.location) item.command = { title: 'Compare with the code now', command: COMMANDS.diffVersion, arguments: [{ kind: 'version', version: v, group: g, key }] };
    item.id = `version:${key}`;
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
