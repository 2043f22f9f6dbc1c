// Names that package.json and the code must agree on: commands, views, settings, context keys.
// test/extension-manifest.test.ts checks package.json against this table.

export const COMMANDS = {
  optimizePrompt: 'greater.optimizePrompt',
  optimizeSelection: 'greater.optimizeSelection',
  resumeRun: 'greater.resumeRun',
  cancelRun: 'greater.cancelRun',
  evaluatePrompt: 'greater.evaluatePrompt',
  showRuns: 'greater.showRuns',
  selectModel: 'greater.selectModel',
  setHfToken: 'greater.setHuggingFaceToken',
  setEndpointKey: 'greater.setEndpointApiKey',
  openRun: 'greater.openRun',
  deleteRun: 'greater.deleteRun',
  refreshRuns: 'greater.refreshRuns',
  showRunLog: 'greater.showRunLog',
  showPanel: 'greater.showPanel',
  showLog: 'greater.showLog',
  acceptApplied: 'greater.acceptApplied',
  discardApplied: 'greater.discardApplied',
  diffVersion: 'greater.diffVersion',
  restoreVersion: 'greater.restoreVersion',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEW_CONTAINER = 'greater';
export const RUNS_VIEW = 'greater.runs';
export const PANEL_VIEW_TYPE = 'greater.optimizer';
export const RUN_LOG_SCHEME = 'greater-run-log';
export const RUN_LOG_LANGUAGE = 'greater-run-log';

/** settings under the `greater.` section */
export const SETTINGS = {
  model: 'model',
  device: 'device',
  steps: 'steps',
  topK: 'topK',
  topQ: 'topQ',
  trainSize: 'trainSize',
  seed: 'seed',
  runsFolder: 'runsFolder',
  codeLens: 'codeLens.enabled',
  cancelTimeout: 'cancelTimeoutSeconds',
  trace: 'trace.worker',
} as const;

export const CONTEXT_KEYS = {
  runActive: 'greater.runActive',
  /** language ids with prompt finding, for `editorLangId in …` menu clauses */
  promptLanguages: 'greater.promptLanguages',
} as const;

/** Runs tree item contextValues (select inline actions in package.json `when` clauses). */
export const RUN_ITEM_CONTEXT = {
  running: 'greaterRun.running',
  resumable: 'greaterRun.resumable',
  finished: 'greaterRun.finished',
} as const;

/** Runs view contextValues of the history rows: code-location groups and prompt versions (Diff / Restore). */
export const HISTORY_ITEM_CONTEXT = {
  location: 'greaterHistory.location',
  noLocation: 'greaterHistory.noLocation',
  version: 'greaterHistory.version',
} as const;
