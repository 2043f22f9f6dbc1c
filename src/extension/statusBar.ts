// Status bar item while a run is live: step, phase, best score, ETA (core/statusText.ts); click opens the panel.
import * as vscode from 'vscode';
import { COMMANDS } from './core/ids';
import { runStatusText } from './core/statusText';
import type { RunController } from './runController';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('greater.run', vscode.StatusBarAlignment.Left, 10);
  private readonly sub: vscode.Disposable;

  constructor(private readonly runs: RunController) {
    this.item.name = 'GReaTer run';
    this.item.command = COMMANDS.showPanel;
    this.sub = runs.onDidChange(() => this.update());
    this.update();
  }

  private update(): void {
    const run = this.runs.current;
    if (!run) {
      this.item.hide();
      return;
    }
    this.item.text = `$(sync~spin) GReaTer ${runStatusText(run)}`;
    this.item.tooltip = `Run ${run.runId}: click to open the GReaTer panel`;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
