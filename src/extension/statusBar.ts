// Status bar item while a run is live: step, best score, phase; click opens the panel.
import * as vscode from 'vscode';
import { COMMANDS } from './core/ids';
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
    const s = run.lastStep;
    const step = s ? `${s.step}/${s.totalSteps}` : 'starting';
    const best = s ? ` · best ${s.bestScore.toFixed(3)}` : '';
    const phase = run.cancelling ? ' · stopping' : run.lastPhase ? ` · ${run.lastPhase.phase}` : '';
    this.item.text = `$(sync~spin) GReaTer ${step}${best}${phase}`;
    this.item.tooltip = `Run ${run.runId}: click to open the GReaTer panel`;
    this.item.show();
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}
