// Typed access to the `greater.*` settings and the runs folder of the workspace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEVICES, type Device } from '../worker/protocol';
import { SETTINGS } from './core/ids';
import type { RunSettings } from './core/panelMessages';

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
    device: (DEVICES as readonly string[]).includes(device) ? (device as Device) : 'auto',
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

/** Absolute runs folder: the setting, relative to the first workspace folder (default .greater/runs). */
export function runsDir(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const rel = cfg().get<string>(SETTINGS.runsFolder, '.greater/runs') || '.greater/runs';
  if (path.isAbsolute(rel)) return rel;
  return folder && folder.uri.scheme === 'file' ? path.join(folder.uri.fsPath, rel) : undefined;
}

export async function setModel(model: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await cfg().update(SETTINGS.model, model, target);
}
