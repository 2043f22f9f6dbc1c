// In-host tests of the Runs view's history per code location (issue 15 scope 7): real runs through the worker
// from a prompt in a file, Apply, lines inserted above, a later run from the applied prompt, then Diff and
// Restore of the first version (one undo takes the restore back).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { locationLabel, NO_LOCATION, readIndex } from '../../../src/extension/core/history';
import { COMMANDS } from '../../../src/extension/core/ids';
import { findPrompts } from '../../../src/extension/core/promptFinder';
import { sourceFromSite } from '../../../src/extension/core/source';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { RunEnded } from '../../../src/extension/runController';
import type { RunsNode } from '../../../src/extension/runsTree';
import type { PromptSource } from '../../../src/shared/panelMessages';
import { BUILTIN_DEMO_MODEL, DatasetPreview, WorkerInfo, type DatasetRef } from '../../../src/worker/protocol';
import { EXTENSION_ID, fixture, info, openCopy, sourceAt, until, ws } from './helpers';

describe('Runs view: history per code location', function () {
  this.timeout(600_000);
  let api: ExtensionApi;
  let task: { model: string; dataset: DatasetRef };
  const ended: RunEnded[] = [];
  let sub: vscode.Disposable | undefined;

  before(async function () {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    const w = await api.worker.request(WorkerInfo, {});
    if (!w.optimizerAvailable) {
      console.log(`    SKIP history tests: ${w.unavailableReason}`);
      this.skip();
    }
    const demo = await api.worker.request(DatasetPreview, { dataset: { builtin: 'demo' }, rows: 1 }).then(() => true, () => false);
    task = demo ? { model: BUILTIN_DEMO_MODEL, dataset: { builtin: 'demo' } } : { model: ws('tiny/model').fsPath, dataset: { path: ws('tiny/data.jsonl').fsPath } };
    sub = api.runs.onRunEnded((e) => ended.push(e));
  });
  after(async () => {
    sub?.dispose();
    await vscode.workspace.saveAll(false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** One short run to its end (one step, then the held-out check). */
  async function runToEnd(prompt: string, source: PromptSource | undefined): Promise<string> {
    const { runId } = await api.runs.start({
      ...task, device: 'cpu', steps: 1, topK: 4, topQ: 2, trainSize: 3, seed: 2, extractor: { preset: 'auto' }, initialPrompt: prompt,
    }, source);
    const end = await until(() => ended.find((e) => e.runId === runId), `the end of run ${runId}`, 300_000);
    assert.equal(end.outcome, 'completed', end.message);
    return runId;
  }

  const groupOf = (runId: string) => api.runsTree.groups().find((g) => g.runs.some((r) => r.id === runId));
  const rows = (n: RunsNode) => api.runsTree.getChildren(n).map((c) => ({ node: c, label: String(api.runsTree.getTreeItem(c).label) }));

  it('groups by file:line, follows lines inserted above, shows the lineage after Apply and a later run; Diff and Restore an earlier version', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('history.ts', original);
    const first = sourceAt(doc, "'You are a careful");
    const r1 = await runToEnd(first.optimizable, first);
    const g1 = groupOf(r1);
    assert.ok(g1?.location, 'the run is under a code location');
    assert.equal(api.runsTree.getTreeItem({ kind: 'group', group: g1 }).label, first.label);

    // Apply (with its review) a prompt the run found, or a variant when the run kept the initial one
    const best = g1.runs.find((r) => r.id === r1)!.bestPrompt!;
    const applied = best.trim() !== first.optimizable.trim() ? best : `${best} Check the result.`;
    assert.equal((await api.applyPrompt(first, applied)).ok, true);
    const afterApply = doc.getText();

    // two lines above the prompt: the group's label follows (in the view and in the saved index)
    const line = doc.positionAt(first.start).line + 1 + 2;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), '// one\n// two\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const moved = `history.ts:${line}`;
    await until(() => locationLabel(groupOf(r1)!.location!) === moved, `the label ${moved}`);
    assert.equal(api.runsTree.getTreeItem({ kind: 'group', group: groupOf(r1)! }).label, moved);
    const runsDir = path.dirname(g1.runs[0].dir);
    await until(() => readIndex(runsDir).locations[g1.id]?.line === line, 'the saved index to hold the new line');

    // a later run from the literal where it is now (holding the applied prompt) joins the same location
    const loc = api.history.location(g1.id)!;
    const site = findPrompts(doc.getText(), doc.languageId, doc.fileName).find((s) => s.start === loc.start);
    assert.ok(site, 'the tracked offset is the literal\'s start');
    const second = sourceFromSite(info(doc), site);
    assert.equal(second.optimizable, applied);
    const r2 = await runToEnd(second.optimizable, second);
    const g = groupOf(r2)!;
    assert.equal(g.id, g1.id, 'same code location');
    assert.deepEqual(g.runs.map((r) => r.id), [r2, r1]);

    // lineage, oldest first: initial → run 1 → applied → run 2, versions with their held-out accuracy
    const lineage = rows({ kind: 'group', group: g });
    assert.deepEqual(lineage.map((x) => x.label), ['initial prompt', r1, 'applied', r2]);
    const [initialRow, , appliedRow] = lineage.map((x) => x.node);
    assert.ok(initialRow.kind === 'version' && appliedRow.kind === 'version');
    assert.equal(initialRow.version.prompt, first.optimizable);
    assert.equal(appliedRow.version.prompt, applied);
    assert.equal(typeof initialRow.version.accuracy, 'number', 'held-out accuracy of the initial prompt');
    assert.equal(typeof appliedRow.version.accuracy, 'number', 'held-out accuracy of the applied prompt');
    assert.match(String(api.runsTree.getTreeItem(appliedRow).description), /held-out \d+%/);
    const runRow = lineage[1].node;
    assert.deepEqual(rows(runRow).map((x) => x.label), ['initial prompt', 'best prompt'], 'a run expands into its versions');

    // Diff: the file holding the initial prompt (left, read-only) against the file now (right)
    const left = await vscode.commands.executeCommand<vscode.Uri>(COMMANDS.diffVersion, initialRow);
    const earlier = (await vscode.workspace.openTextDocument(left)).getText();
    assert.equal(earlier, `// one\n// two\n${original}`, 'the left side is the file with the initial prompt back in place');
    await until(() => vscode.window.tabGroups.all.flatMap((t) => t.tabs).find((t) =>
      t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === left.toString() && t.input.modified.toString() === doc.uri.toString()), 'the diff tab');

    // Restore: one edit puts the initial prompt back; one undo takes it away again
    const now = doc.getText();
    assert.equal(now, `// one\n// two\n${afterApply}`);
    await vscode.commands.executeCommand(COMMANDS.restoreVersion, initialRow);
    assert.equal(doc.getText(), `// one\n// two\n${original}`);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), now, 'a single undo takes the restore back');
    await until(() => rows({ kind: 'group', group: groupOf(r1)! }).some((x) => x.label === 'restored'), 'the restore in the lineage');
  });

  it('puts runs without a code location (a typed prompt) in their own group', async () => {
    const r = await runToEnd('Add the two numbers.', undefined);
    const g = groupOf(r);
    assert.equal(g?.id, NO_LOCATION);
    assert.equal(g!.location, undefined);
    assert.equal(api.runsTree.getTreeItem({ kind: 'group', group: g! }).label, 'No code location');
    const top = api.runsTree.getChildren();
    assert.equal(top[top.length - 1].kind === 'group' && top[top.length - 1].group.id, NO_LOCATION, 'listed last');
  });
});
