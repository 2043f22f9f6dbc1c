// Typed access to the `greater.*` settings and the runs folder of the workspace.
import * as vscode from 'vscode';
import { resolveRunsFolder } from './core/trust';
import { DEVICE_CHOICES, type DeviceChoice } from '../worker/protocol';
import { SETTINGS } from './core/ids';
import type { RunSettings } from '../shared/panelMessages';

function cfg(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('greater');
}

function int(key: string, fallback: number, min: number): number {
  const v = cfg().get<number>(key, fallback);
  return Number.isInteger(v) && v >= min ? v : fallback;
}

export function runSettings(): RunSettings {
  const device = cfg().get<string>(SETTINGS.device, 'auto');
  return {
    model: cfg().get<string>(SETTINGS.model, 'demo') || 'demo',
    device: (DEVICE_CHOICES as readonly string[]).includes(device) ? (device as DeviceChoice) : 'auto',
    steps: int(SETTINGS.steps, 10, 1),
    topK: int(SETTINGS.topK, 50, 1),
    topQ: int(SETTINGS.topQ, 5, 1),
    trainSize: int(SETTINGS.trainSize, 50, 1),
    seed: int(SETTINGS.seed, 0, 0),
  };
}

export function codeLensEnabled(): boolean {
  return cfg().get<boolean>(SETTINGS.codeLens, true);
}

export function cancelTimeoutMs(): number {
  return int(SETTINGS.cancelTimeout, 60, 1) * 1000;
}

export function traceLevel(): 'off' | 'messages' | 'verbose' {
  const v = cfg().get<string>(SETTINGS.trace, 'off');
  return v === 'messages' || v === 'verbose' ? v : 'off';
}

/** Absolute runs folder: the setting, inside the first workspace folder (default .greater/runs). */
export function runsDir(onWarning?: (message: string) => void): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') return undefined;
  const r = resolveRunsFolder(folder.uri.fsPath, cfg().get<string>(SETTINGS.runsFolder, '.greater/runs'));
  if (r.warning) onWarning?.(r.warning);
  return r.dir;
}

export async function setModel(model: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await cfg().update(SETTINGS.model, model, target);
}
