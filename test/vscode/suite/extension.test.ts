// In-host integration tests: run by mocha INSIDE a real VS Code extension host (code-server, see
// scripts/vscode-e2e/run.sh; or @vscode/test-electron on a desktop where VS Code can be downloaded). The
// workspace holds copies of test/extension-fixtures. Tests wait on state, never sleep for a fixed time.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/extension/core/ids';
import { findLiterals, findPrompts } from '../../../src/extension/core/promptFinder';
import { EXTENSION_ID, fixture, openCopy, sourceAt, until, ws } from './helpers';
import { readEvents, readHeldOutExamples, readTopPrompts } from '../../../src/extension/core/runs';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { RunEnded } from '../../../src/extension/runController';
import { BUILTIN_DEMO_MODEL, DatasetPreview, RpcErrorCodes, RunStart, WorkerInfo, type DatasetRef, type RunEvent } from '../../../src/worker/protocol';

describe('GReaTer Prompt Optimizer in a real VS Code', () => {
  let api: ExtensionApi;

  before(async () => {
    const ext = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
    api = await ext.activate();
  });

  afterEach(async () => {
    // the edited files are throwaway copies: save them so closing asks nothing
    await vscode.workspace.saveAll(false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('registers every command in the manifest, and the manifest lists exactly the command table', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const declared = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepEqual(declared, Object.values(COMMANDS).sort());
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(declared.filter((c) => !registered.has(c)), []);
  });

  const lensCases: [string, string, string[]][] = [
    ['prompts.ts', 'typescript', ["'You are a careful", '`Solve the following', '"Be brief."', '"Classify the sentiment', '"it\'s a']],
    ['prompts.py', 'python', ['"You are a helpful', 'f"Answer the question', '"""Read the passage', 'r"\\d+ apples', "'Be concise.'"]],
    ['task.prompty', 'prompty', ['system:']],
    ['prompts/summarise.md', 'markdown', ['Summarise the text']],
  ];
  for (const [file, languageId, snippets] of lensCases) {
    it(`shows "Optimize prompt" CodeLenses exactly above the prompts of ${file}`, async () => {
      const doc = await vscode.workspace.openTextDocument(ws(file));
      await vscode.window.showTextDocument(doc);
      assert.equal(doc.languageId, languageId);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
      const ours = lenses.filter((l) => l.command?.command === COMMANDS.optimizePrompt);
      const text = doc.getText();
      const expected = snippets.map((s) => {
        const at = text.indexOf(s);
        assert.ok(at >= 0, `fixture lost ${s}`);
        return at;
      });
      assert.deepEqual(ours.map((l) => l.range.start.line), expected.map((o) => doc.positionAt(o).line));
      assert.deepEqual(ours.map((l) => l.command!.arguments![1]), expected, 'each lens carries the exact start offset');
      assert.ok(ours.every((l) => l.command!.title.includes('Optimize prompt')));
    });
  }

  it('offers "Optimize selection" above a selection and opens the panel for it', async () => {
    const doc = await vscode.workspace.openTextDocument(ws('prompts.ts'));
    const ed = await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('Answer the question and explain');
    ed.selection = new vscode.Selection(doc.positionAt(at), doc.positionAt(at + 'Answer the question'.length));
    const lens = await until(async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
      return lenses.find((l) => l.command?.command === COMMANDS.optimizeSelection);
    }, 'the selection lens');
    assert.equal(lens.range.start.line, doc.positionAt(at).line);
    const label = await vscode.commands.executeCommand<string>(COMMANDS.optimizeSelection);
    assert.equal(label, `prompts.ts:${doc.positionAt(at).line + 1}`);
  });

  it('Apply on a .prompty body rewrites only the system text; the role lines stay as they were', async () => {
    const original = fixture('task.prompty');
    const doc = await openCopy('apply-roles.prompty', original);
    const source = sourceAt(doc, 'system:');
    assert.equal(source.optimizable, 'You are an expert classifier. Decide whether the statement is true or false.');
    const out = await api.applyPrompt(source, 'Answer true or false.');
    assert.equal(out.ok, true, out.message);
    const expected = original.replace('You are an expert classifier. Decide whether the statement is true or false.', 'Answer true or false.');
    assert.notEqual(expected, original);
    assert.equal(doc.getText(), expected);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'a single undo restores the original');
  });

  it('Apply rewrites a Python f-string in one undo step and keeps {question}', async () => {
    const original = fixture('prompts.py');
    const doc = await openCopy('apply-fstring.py', original);
    const source = sourceAt(doc, 'f"Answer');
    const out = await api.applyPrompt(source, 'Think about it "carefully".');
    assert.equal(out.ok, true, out.message);
    const expected = original.replace(
      'f"Answer the question below and think it through carefully.\\nQuestion: {question}\\nAnswer:"',
      'f"Think about it \\"carefully\\".\\nQuestion: {question}\\nAnswer:"');
    assert.notEqual(expected, original);
    assert.equal(doc.getText(), expected);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original, 'a single undo restores the original');
  });

  it('Apply into a TypeScript template keeps ${question}; Revert restores the original', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('apply-template.ts', original);
    const source = sourceAt(doc, '`Solve');
    const out = await api.applyPrompt(source, 'Use `code` and cost ${5}.');
    assert.equal(out.ok, true, out.message);
    assert.ok(doc.getText().includes('Use \\`code\\` and cost \\${5}.\nQuestion: ${question}\nGive the final answer'), doc.getText());
    const back = await api.revertPrompt(source);
    assert.equal(back.ok, true, back.message);
    assert.equal(doc.getText(), original);
  });

  it('Revert after Ctrl+Z finds the original already back: no conflict diff, the file untouched', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('revert-after-undo.ts', original);
    const source = sourceAt(doc, "'You are a careful");
    const out = await api.applyPrompt(source, 'You are an expert.');
    assert.equal(out.ok, true, out.message);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(), original);
    const back = await api.revertPrompt(source);
    assert.equal(back.ok, true, back.message);
    assert.match(back.message, /already holds the original prompt/);
    assert.equal(doc.getText(), original);
    const diffTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff);
    assert.equal(diffTabs.length, 0, 'no conflict diff opened');
  });

  it('Apply opens an inline review: Discard restores the original, Accept keeps the new prompt, Ctrl+Z ends it', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('review.ts', original);
    const source = sourceAt(doc, "'You are a careful");
    assert.equal((await api.applyPrompt(source, 'You are an expert.')).ok, true);
    assert.equal(api.review.isPending(doc.uri), true);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
    const titles = lenses.filter((l) => l.command?.command === COMMANDS.acceptApplied || l.command?.command === COMMANDS.discardApplied).map((l) => l.command!.command);
    assert.deepEqual(titles.sort(), [COMMANDS.acceptApplied, COMMANDS.discardApplied].sort());
    await vscode.commands.executeCommand(COMMANDS.discardApplied, doc.uri);
    assert.equal(doc.getText(), original, 'Discard puts the original back');
    assert.equal(api.review.isPending(doc.uri), false);

    assert.equal((await api.applyPrompt(sourceAt(doc, "'You are a careful"), 'You are an expert.')).ok, true);
    await vscode.commands.executeCommand(COMMANDS.acceptApplied, doc.uri);
    assert.equal(api.review.isPending(doc.uri), false);
    assert.ok(doc.getText().includes("'You are an expert.'"), 'Accept keeps the applied prompt');

    await vscode.commands.executeCommand('undo');
    const again = sourceAt(doc, "'You are a careful");
    assert.equal((await api.applyPrompt(again, 'Be exact.')).ok, true);
    await vscode.commands.executeCommand('undo');
    await until(() => !api.review.isPending(doc.uri), 'the review to end after Ctrl+Z');
    assert.equal(doc.getText(), original);
  });

  it('worker errors reach the user without the RPC method name in front', async () => {
    const missing = ws('no-such-dataset.csv').fsPath;
    await assert.rejects(api.worker.request(DatasetPreview, { dataset: { path: missing }, rows: 1 }), (e: Error) => {
      assert.doesNotMatch(e.message, /^[a-z]+\/[a-z-]+: /, e.message);
      return true;
    });
  });

  it('refuses to apply over a prompt that changed meanwhile, leaves the file alone and opens a diff', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('conflict.ts', original);
    const source = sourceAt(doc, "'You are a careful");
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('careful assistant');
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + 7)), 'sloppy');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const edited = doc.getText();
    const out = await api.applyPrompt(source, 'You are an expert.');
    assert.equal(out.ok, false);
    assert.match(out.message, /changed since the run started/);
    assert.equal(doc.getText(), edited, 'nothing written');
    await until(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) =>
      t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'greater-proposal'), 'the proposal diff tab');
  });

  it('applies at the new place when lines were added above the prompt', async () => {
    const original = fixture('prompts.ts');
    const doc = await openCopy('moved.ts', original);
    const source = sourceAt(doc, "'You are a careful");
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), '// two new lines\n// above everything\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const out = await api.applyPrompt(source, 'You are an expert.');
    assert.equal(out.ok, true, out.message);
    assert.match(out.message, /moved/);
    assert.ok(doc.getText().includes("const systemPrompt = 'You are an expert.';"));
  });

  it('round-trips awkward text through every quote style of both languages (checked by JS and Python themselves)', async () => {
    const hasPython = spawnSync('python3', ['--version']).status === 0;
    if (!hasPython) console.log('    (python3 not found: Python literals are checked by decoding only)');
    const text = 'Say "hi" & it\'s `fine` ${x} {y} {{z}} back\\slash\nnew line\ttab é ✓ \'\'\' """ end\'';
    const styles: [string, string][] = [
      ['ts', "'Answer the question carefully and explain.'"], ['ts', '"Answer the question carefully and explain."'],
      ['ts', '`Answer the question carefully and explain.`'],
      ['py', "'Answer the question carefully and explain.'"], ['py', '"Answer the question carefully and explain."'],
      ['py', "'''Answer the question carefully and explain.'''"], ['py', '"""Answer the question carefully and explain."""'],
      ['py', 'f"Answer the question carefully and explain."'], ['py', "f'''Answer the question carefully and explain.'''"],
      ['py', 'r"Answer the question carefully and explain."'],
    ];
    for (const [i, [ext, lit]] of styles.entries()) {
      const doc = await openCopy(`roundtrip-${i}.${ext}`, `${ext === 'ts' ? 'const ' : ''}prompt = ${lit}${ext === 'ts' ? ';' : ''}\n`);
      const source = sourceAt(doc, lit.slice(0, 2));
      const out = await api.applyPrompt(source, text);
      assert.equal(out.ok, true, `${lit}: ${out.message}`);
      const lang = ext === 'ts' ? 'js' : 'py';
      const [written] = findLiterals(doc.getText(), lang);
      const src = doc.getText().slice(written.start, written.end);
      let value: string;
      if (lang === 'js') value = new Function(`return ${src};`)() as string;
      else if (hasPython) {
        const r = spawnSync('python3', ['-c', 'import sys, json; print(json.dumps(eval(sys.stdin.read())))'], { input: src, encoding: 'utf8' });
        assert.equal(r.status, 0, `python could not evaluate ${src}: ${r.stderr}`);
        value = JSON.parse(r.stdout) as string;
      } else value = findPrompts(doc.getText(), 'python')[0].value;
      assert.equal(value, text, `${lit} → ${src}`);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  it('opens the optimizer panel from the CodeLens command', async () => {
    const doc = await vscode.workspace.openTextDocument(ws('prompts.ts'));
    await vscode.window.showTextDocument(doc);
    const start = doc.getText().indexOf('`Solve');
    const label = await vscode.commands.executeCommand<string>(COMMANDS.optimizePrompt, doc.uri, start);
    assert.equal(label, `prompts.ts:${doc.positionAt(start).line + 1}`);
    await until(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === `GReaTer: ${label}` && t.input instanceof vscode.TabInputWebview), 'the panel tab');
    assert.ok(api.panel(), 'panel instance');
  });

  it('reads datasets only from the workspace or the file dialog, and resumes only real run folders', async () => {
    // afterEach closed the previous test's panel: open one of our own
    const doc = await vscode.workspace.openTextDocument(ws('prompts.ts'));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand<string>(COMMANDS.optimizePrompt, doc.uri, doc.getText().indexOf('`Solve'));
    await until(() => api.panel(), 'the panel');
    const panel = api.panel();
    assert.ok(panel, 'panel instance');
    assert.match(panel.datasetRefused({ path: '/etc/hosts' }) ?? '', /\/etc\/hosts is outside this workspace; choose it with "Browse…"/);
    assert.equal(panel.datasetRefused({ path: ws('tiny/data.jsonl').fsPath }), undefined);
    assert.equal(panel.datasetRefused({ builtin: 'demo' }), undefined);
    await assert.rejects(api.runs.resume('/etc'), /\/etc is not a run folder inside the runs folder/);
  });

  it('forks a real worker process and answers over IPC; without the optimizer it says so clearly', async () => {
    const w = await api.worker.request(WorkerInfo, {});
    assert.equal(typeof w.pid, 'number');
    assert.notEqual(w.pid, process.pid);
    assert.equal(w.pid, api.worker.pid);
    process.kill(w.pid, 0); // alive
    const cmdline = fs.existsSync(`/proc/${w.pid}/cmdline`) ? fs.readFileSync(`/proc/${w.pid}/cmdline`, 'utf8') : '';
    assert.doesNotMatch(cmdline, /hf_/, 'no token in argv');
    if (!w.optimizerAvailable) {
      await assert.rejects(api.worker.request(RunStart, {
        model: BUILTIN_DEMO_MODEL, device: 'cpu', dataset: { builtin: 'demo' }, extractor: { preset: 'auto' }, seed: 0,
        initialPrompt: 'x', steps: 1, topK: 1, topQ: 1, trainSize: 1, runsDir: ws('.greater/runs').fsPath,
      }), (e: { code?: number; message?: string }) => e.code === RpcErrorCodes.OptimizerUnavailable && /optimizer not available/.test(e.message ?? ''));
    }
  });

  describe('real runs through the worker (built-in demo, else the tiny random model in the workspace)', function () {
    // each run waits up to 300 s for its events on a loaded machine; mocha's 60 s default would cut it first
    this.timeout(600_000);
    const events: { runId: string; event: RunEvent }[] = [];
    const ended: RunEnded[] = [];
    let subs: vscode.Disposable[] = [];
    let task: { model: string; dataset: DatasetRef };

    before(async function () {
      const w = await api.worker.request(WorkerInfo, {});
      if (!w.optimizerAvailable) {
        console.log(`    SKIP run tests: ${w.unavailableReason}`);
        this.skip();
      }
      const demo = await api.worker.request(DatasetPreview, { dataset: { builtin: 'demo' }, rows: 1 }).then(() => true, () => false);
      task = demo ? { model: BUILTIN_DEMO_MODEL, dataset: { builtin: 'demo' } }
        : { model: ws('tiny/model').fsPath, dataset: { path: ws('tiny/data.jsonl').fsPath } };
      console.log(`    runs use ${demo ? 'the built-in demo model and task' : 'the tiny random model (demo not in this build)'}`);
      subs = [api.runs.onRunEvent((e) => events.push(e)), api.runs.onRunEnded((e) => ended.push(e))];
    });
    after(() => subs.forEach((d) => d.dispose()));

    const request = () => ({
      ...task, device: 'cpu' as const, steps: 40, topK: 4, topQ: 2, trainSize: 3, seed: 1,
      extractor: { preset: 'auto' }, initialPrompt: 'Answer the question step by step.',
    });
    const steps = (runId: string) => events.filter((e) => e.runId === runId && e.event.kind === 'step').map((e) => (e.event as { step: number }).step);

    it('starts, stops softly at a step boundary and resumes from the last step', async () => {
      const { runId, runDir } = await api.runs.start(request(), undefined);
      await until(() => steps(runId).length >= 1, 'the first step', 300_000);
      assert.ok(await api.runs.cancel());
      const end = await until(() => ended.find((e) => e.runId === runId), 'the end of the run', 300_000);
      assert.equal(end.outcome, 'cancelled');
      const last = Math.max(...steps(runId)), seen = steps(runId).length;
      await api.runs.resume(runDir);
      await until(() => steps(runId).length > seen, 'a step after the resume', 300_000);
      assert.equal(steps(runId)[seen], last + 1, 'continues at the next step');
      await api.runs.cancel();
      await until(() => ended.filter((e) => e.runId === runId).length >= 2, 'the end after resume', 300_000);
    });

    it('maps the columns of a dataset not named question/answer, from the file\'s own keys', async () => {
      const file = ws('odd-columns.jsonl').fsPath;
      fs.writeFileSync(file, Array.from({ length: 6 }, (_, i) => JSON.stringify({ problem: `What is ${i} plus 1?`, solution: String(i + 1) })).join('\n'));
      const unmapped = await api.worker.request(DatasetPreview, { dataset: { path: file }, rows: 2 });
      assert.deepEqual(unmapped.columns, ['problem', 'solution']);
      assert.match(unmapped.needsMapping ?? '', /Choose which column holds the question/);
      const mapped = await api.worker.request(DatasetPreview, { dataset: { path: file }, rows: 2, questionField: 'problem', answerField: 'solution' });
      assert.equal(mapped.needsMapping, undefined);
      assert.equal(mapped.total, 6);
    });

    it('Evaluate Prompt needs no training size: a 5-row file is evaluated whole with the default settings (train size 50)', async function () {
      // the command evaluates with the model of the settings: the built-in demo
      if (task.model !== BUILTIN_DEMO_MODEL) this.skip();
      const file = ws('five.jsonl').fsPath;
      fs.writeFileSync(file, Array.from({ length: 5 }, (_, i) => JSON.stringify({ question: `What is ${i} plus 2?`, answer: String(i + 2) })).join('\n'));
      const doc = await vscode.workspace.openTextDocument(ws('prompts.ts'));
      await vscode.window.showTextDocument(doc);
      const start = doc.getText().indexOf("'You are a careful");
      const result = await vscode.commands.executeCommand<{ total: number } | undefined>(COMMANDS.evaluatePrompt, doc.uri, start, { path: file });
      assert.ok(result, 'the command failed (see the notification)');
      assert.equal(result.total, 5);
    });

    it('Stop from a prompt in a file: held-out before/after, a git-ignored runs folder, the Runs view labelled by file:line', async () => {
      const doc = await vscode.workspace.openTextDocument(ws('prompts.ts'));
      await vscode.window.showTextDocument(doc);
      const source = sourceAt(doc, "'You are a careful");
      const { runId, runDir } = await api.runs.start(request(), source);
      await until(() => steps(runId).length >= 1, 'the first step', 300_000);
      assert.ok(await api.runs.cancel());
      const end = await until(() => ended.find((e) => e.runId === runId), 'the end of the run', 300_000);
      assert.equal(end.outcome, 'cancelled');
      assert.match(end.message, /Held-out accuracy \d+\.\d% → \d+\.\d%/, 'Stop still reports before → after');
      const done = readEvents(runDir).find((e) => e.kind === 'done') as { initialAccuracy?: number } | undefined;
      assert.equal(typeof done?.initialAccuracy, 'number');
      assert.ok(fs.readFileSync(path.join(path.dirname(runDir), '.gitignore'), 'utf8').split('\n').includes('*'));
      assert.ok((readHeldOutExamples(runDir)?.length ?? 0) > 0, 'the per-example table has rows');
      const top = readTopPrompts(runDir);
      assert.ok(top && top.top.length > 0 && top.top.every((t) => typeof t.perplexity === 'number' && t.perplexity > 1), JSON.stringify(top));
      const group = api.runsTree.groups().find((g) => g.runs.some((r) => r.dir === runDir));
      assert.ok(group?.location, 'the run is grouped under its code location');
      assert.equal(api.runsTree.getTreeItem({ kind: 'group', group }).label, source.label);
      const row = api.runsTree.getChildren({ kind: 'group', group }).find((n) => n.kind === 'run' && n.run.dir === runDir);
      assert.ok(row);
      assert.equal(api.runsTree.getTreeItem(row).label, runId);
    });

    it('reports a killed worker as a resumable crash, and Resume continues', async () => {
      const { runId, runDir } = await api.runs.start(request(), undefined);
      await until(() => steps(runId).length >= 1, 'the first step', 300_000);
      process.kill(api.worker.pid!, 'SIGKILL');
      const end = await until(() => ended.find((e) => e.runId === runId), 'the crash report', 30_000);
      assert.equal(end.outcome, 'crashed');
      assert.equal(end.resumable, true);
      assert.match(end.message, /killed \(SIGKILL\).*can be resumed/);
      // a kill loses at most the step in flight: the resumed run starts after the last step on disk, or
      // redoes that one if its checkpoint was not written yet; it never skips one
      const lastSeen = Math.max(...steps(runId)), seen = steps(runId).length;
      const onDisk = Math.max(...readEvents(runDir).filter((e) => e.kind === 'step').map((e) => (e as { step: number }).step));
      await api.runs.resume(runDir);
      await until(() => steps(runId).length > seen, 'a step after the resume', 300_000);
      const first = steps(runId)[seen];
      assert.ok(first >= lastSeen && first >= onDisk && first <= onDisk + 1, `resumed at step ${first}; saw ${lastSeen}, disk has ${onDisk}`);
      await api.runs.cancel();
      await until(() => ended.filter((e) => e.runId === runId).length >= 2, 'the end after resume', 300_000);
    });

    it('an endpoint API key set in SecretStorage reaches the endpoint only: never the webview or the run folder', async () => {
      const key = `sk-inhost-${Math.random().toString(36).slice(2)}-marker`;
      // records the Authorization header of each request; its replies only keep the run going (the answers are
      // checked against a real model by test/greater-transfer-endpoint.test.ts)
      const auth: string[] = [];
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          auth.push(String(req.headers.authorization));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'Therefore 5.' }, finish_reason: 'stop' }] }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      try {
        assert.equal(await api.endpointKey.set(key), true);
        assert.equal(await api.endpointKey.get(), key, 'read back from SecretStorage');
        await api.worker.stop(); // the key is read at fork time (a change restarts an idle worker; do not race it)
        // everything the panel sends to its webview from here on
        await vscode.commands.executeCommand(COMMANDS.showPanel);
        const panel = await until(() => api.panel(), 'the panel');
        const sent: unknown[] = [];
        const webview = panel.panel.webview;
        const post = webview.postMessage.bind(webview);
        webview.postMessage = (m: unknown) => { sent.push(m); return post(m); };

        const { runId, runDir } = await api.runs.start({ ...request(), steps: 1, transfer: { kind: 'endpoint', baseUrl, model: 'served-model' } }, undefined);
        await until(() => ended.find((e) => e.runId === runId), 'the end of the run', 300_000);
        assert.ok(auth.length > 0, 'the endpoint was asked');
        assert.ok(auth.every((a) => a === `Bearer ${key}`), 'every request carried the stored key');
        const report = JSON.parse(fs.readFileSync(path.join(runDir, 'report.json'), 'utf8')) as { transfer?: { model: string; endpoint?: string } };
        assert.equal(report.transfer?.model, 'served-model');
        assert.equal(report.transfer?.endpoint, baseUrl);
        for (const f of fs.readdirSync(runDir)) assert.ok(!fs.readFileSync(path.join(runDir, f), 'utf8').includes(key), `${f} holds the key`);
        const cmdline = fs.existsSync(`/proc/${api.worker.pid}/cmdline`) ? fs.readFileSync(`/proc/${api.worker.pid}/cmdline`, 'utf8') : '';
        assert.ok(!cmdline.includes(key), 'no key in the worker\'s argv');

        // the panel shows the run: its events, report and the key state go to the webview, the key does not
        await vscode.commands.executeCommand(COMMANDS.openRun, runDir);
        await until(() => sent.some((m) => (m as { type?: string }).type === 'report'), 'the report message', 30_000);
        await panel.postEndpointKeyState();
        const wire = JSON.stringify(sent);
        assert.ok(wire.includes('served-model'), 'the transfer results reached the webview');
        assert.ok(!wire.includes(key), 'the key never reaches the webview');
        assert.ok(sent.some((m) => JSON.stringify(m) === JSON.stringify({ type: 'endpointKey', stored: true })));
      } finally {
        await api.endpointKey.set('');
        server.close();
      }
    });
  });
});
