// Pure extension logic besides prompt finding: Apply's conflict check, the runs folder reader, the word
// diff, the estimate, and the manifest against the names table (package.json and code must agree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { locateOriginal } from '../src/extension/core/conflict';
import { diffWords } from '../src/shared/diff';
import { estimateRun, parameterCount } from '../src/shared/estimate';
import { COMMANDS, CONTEXT_KEYS, RUN_ITEM_CONTEXT, RUN_LOG_LANGUAGE, RUNS_VIEW, SETTINGS } from '../src/extension/core/ids';
import { ensureRunsGitignore, formatRunLog, listRuns, readEvents, readHeldOutExamples, readTopPrompts, runLabel } from '../src/extension/core/runs';
import { redact } from '../src/extension/core/redact';
import { isRunFolder, resolveRunsFolder, sanitizeSession } from '../src/extension/core/trust';
import { renderReplacement, sourceFromSelection } from '../src/extension/core/source';
import { runStatusText } from '../src/extension/core/statusText';
import { ACTIVE_LOCK_FILE, type RunEvent, type RunEventOf } from '../src/worker/protocol';

const repo = path.resolve(__dirname, '../..');

test('conflict check: same text in place, moved but unique, changed, ambiguous', () => {
  const lit = '"Answer briefly."';
  const doc = `const a = ${lit};\n`;
  assert.deepEqual(locateOriginal(doc, 10, 10 + lit.length, lit), { ok: true, start: 10, end: 27, moved: false });
  const moved = `// new line\n${doc}`;
  assert.deepEqual(locateOriginal(moved, 10, 27, lit), { ok: true, start: 22, end: 39, moved: true });
  const changed = 'const a = "Answer at length.";\n';
  assert.deepEqual(locateOriginal(changed, 10, 27, lit), { ok: false, reason: 'the prompt at line 1 changed since the run started' });
  const twice = `x(${lit});\n${doc}`;
  const r = locateOriginal(twice, 0, 17, lit);
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /more than once/);
});

const ev = (e: RunEvent) => JSON.stringify(e);
const step = (n: number, best: number, prompt: string): RunEvent => ({
  kind: 'step', step: n, totalSteps: 5, position: 1, prompt, promptTokens: [prompt], score: best, accuracy: 0.5, bestScore: best,
  bestPrompt: prompt, etaSeconds: 1, counts: { forwardPasses: 1, backwardPasses: 1, generatedTokens: 1 },
});

function makeRun(root: string, id: string, lines: string[], opts: { checkpoint?: boolean; mtime?: number } = {}): string {
  const dir = path.join(root, id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.join('\n'));
  if (opts.checkpoint) fs.writeFileSync(path.join(dir, 'checkpoint.json'), '{}');
  if (opts.mtime) fs.utimesSync(dir, opts.mtime, opts.mtime);
  return dir;
}

test('runs folder: status, best score and prompt per run; a cut last line and stray folders tolerated', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-runs-'));
  const started = (id: string): RunEvent => ({ kind: 'run-started', runId: id, runDir: path.join(root, id), totalSteps: 5, initialPrompt: 'Go.', model: 'demo', task: 'demo' });
  makeRun(root, 'a-done', [ev(started('a-done')), ev(step(1, 0.4, 'Go on.')), ev({ kind: 'done', reason: 'completed', bestPrompt: 'Go on.', initialAccuracy: 0.2, bestAccuracy: 0.6 })], { mtime: 1000 });
  makeRun(root, 'b-killed', [ev(started('b-killed')), ev(step(1, 0.3, 'Go now.')), ev(step(2, 0.35, 'Go now!')), '{"kind":"ste'], { checkpoint: true, mtime: 3000 });
  makeRun(root, 'c-failed', [ev(started('c-failed')), ev({ kind: 'error', message: 'out of memory', resumable: true })], { checkpoint: true, mtime: 2000 });
  makeRun(root, 'd-live', [ev(started('d-live'))], { mtime: 4000 });
  makeRun(root, 'e-cancelled', [ev(started('e-cancelled')), ev(step(1, 0.5, 'Try.')), ev({ kind: 'done', reason: 'cancelled', bestPrompt: 'Try.' })], { checkpoint: true, mtime: 500 });
  fs.mkdirSync(path.join(root, 'not-a-run'));
  fs.writeFileSync(path.join(root, ACTIVE_LOCK_FILE), JSON.stringify({ pid: 4242, runId: 'd-live' }));

  const runs = listRuns(root, (pid) => pid === 4242);
  assert.deepEqual(runs.map((r) => [r.id, r.status, r.resumable]), [
    ['d-live', 'running', false], ['b-killed', 'interrupted', true], ['c-failed', 'failed', true],
    ['a-done', 'done', false], ['e-cancelled', 'cancelled', true],
  ]);
  const killed = runs.find((r) => r.id === 'b-killed')!;
  assert.equal(killed.step, 2);
  assert.equal(killed.bestScore, 0.35);
  assert.equal(killed.bestPrompt, 'Go now!');
  const done = runs.find((r) => r.id === 'a-done')!;
  assert.equal(done.bestAccuracy, 0.6);
  assert.equal(runs.find((r) => r.id === 'c-failed')!.error, 'out of memory');
  // the live run's owner died: no longer running
  assert.equal(listRuns(root, () => false).find((r) => r.id === 'd-live')!.status, 'interrupted');
  assert.deepEqual(listRuns(path.join(root, 'missing'), () => true), []);
  assert.equal(readEvents(path.join(root, 'b-killed')).length, 3);
});

test('run log text: one tagged line per event, prompts quoted', () => {
  const text = formatRunLog([step(3, 0.5, 'Say "why".'), { kind: 'error', message: 'boom', resumable: true }]);
  assert.equal(text, '[step] 3/5 position 1 score=0.5000 accuracy=50.0% best=0.5000\n[prompt] "Say \\"why\\"."\n[error] boom (resumable)\n');
});

test('word diff keeps the common words and marks the changed ones', () => {
  assert.deepEqual(diffWords('Use step by step reasoning.', 'Use careful step reasoning.'), [
    { op: 'same', text: 'Use ' }, { op: 'del', text: 'step by ' }, { op: 'add', text: 'careful ' }, { op: 'same', text: 'step reasoning.' },
  ]);
  assert.deepEqual(diffWords('', 'new'), [{ op: 'add', text: 'new' }]);
  const ops = diffWords('a b c d', 'a x c y');
  assert.equal(ops.filter((o) => o.op !== 'add').map((o) => o.text).join(''), 'a b c d', 'same+del rebuild the old text');
  assert.equal(ops.filter((o) => o.op !== 'del').map((o) => o.text).join(''), 'a x c y', 'same+add rebuild the new text');
});

test('estimate: sizes read from model names; time grows with steps and candidates; unknown size says nothing', () => {
  assert.equal(parameterCount('HuggingFaceTB/SmolLM2-360M-Instruct'), 360e6);
  assert.equal(parameterCount('Qwen/Qwen2.5-0.5B-Instruct'), 0.5e9);
  assert.equal(parameterCount('google/gemma-2-2b-it'), 2e9);
  assert.equal(parameterCount('my-model'), undefined);
  // the built-in demo's size is its real one, counted from the tensor shapes in its safetensors header
  const st = fs.readFileSync(path.join(repo, 'models/greater-demo/model.safetensors'));
  const header = JSON.parse(st.subarray(8, 8 + Number(st.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape?: number[] }>;
  const counted = Object.entries(header).filter(([k]) => k !== '__metadata__').reduce((n, [, t]) => n + (t.shape ?? []).reduce((a, b) => a * b, 1), 0);
  assert.ok(Math.abs(parameterCount('demo')! / counted - 1) < 0.02, `demo: ${parameterCount('demo')} vs ${counted} in the file`);
  const base = { model: 'Qwen/Qwen2.5-0.5B-Instruct', device: 'cpu' as const, steps: 10, topQ: 5, trainSize: 50 };
  const e = estimateRun(base);
  assert.ok(e.memoryBytes! > 0.5e9 * 4, 'at least the fp32 weights');
  assert.ok(Math.abs(estimateRun({ ...base, steps: 20 }).seconds! / e.seconds! - 2) < 1e-9);
  assert.ok(estimateRun({ ...base, topQ: 10 }).seconds! > e.seconds!);
  assert.ok(estimateRun({ ...base, device: 'cuda' }).seconds! < e.seconds!);
  assert.deepEqual(estimateRun({ ...base, model: 'my-model' }), {});
});

test('a selection inside a literal is re-encoded with that literal\'s escaping, without quotes', () => {
  const text = "const p = 'Be brief. Answer with yes or no.';\n";
  const start = text.indexOf('Answer'), end = text.indexOf("no.'") + 3;
  const src = sourceFromSelection({ uri: 'file:///a.ts', fileName: '/a.ts', languageId: 'typescript', text }, start, end);
  assert.equal(src.bodyOnly, true);
  assert.equal(renderReplacement(src, "Don't hedge."), "Don\\'t hedge.");
  assert.throws(() => sourceFromSelection({ uri: 'file:///a.ts', fileName: '/a.ts', languageId: 'typescript', text }, 3, start),
    /crosses the edge of a string literal/);
});

test('package.json agrees with the names table: commands, views, menus, settings, activation', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const c = pkg.contributes;
  const declared: string[] = c.commands.map((x: { command: string }) => x.command).sort();
  assert.deepEqual(declared, Object.values(COMMANDS).sort());
  assert.ok(c.commands.every((x: { category: string }) => x.category === 'GReaTer'));
  assert.ok(!pkg.activationEvents.includes('*'), 'no "*" activation');
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.equal(pkg.main, './out/extension.js');
  assert.ok(c.views.greater.some((v: { id: string }) => v.id === RUNS_VIEW));
  for (const key of Object.values(SETTINGS)) assert.ok(c.configuration.properties[`greater.${key}`], `setting greater.${key}`);
  const menuItems = Object.values(c.menus).flat() as { command: string; when?: string }[];
  for (const m of menuItems) assert.ok((declared as string[]).includes(m.command), `menu refers to unknown command ${m.command}`);
  const whens = menuItems.map((m) => m.when ?? '').join(' ');
  for (const ctx of [RUN_ITEM_CONTEXT.running, RUN_ITEM_CONTEXT.resumable]) assert.ok(whens.includes(ctx), `no menu for ${ctx}`);
  assert.ok(whens.includes(CONTEXT_KEYS.runActive) && whens.includes(CONTEXT_KEYS.promptLanguages));
  const grammar = c.grammars.find((g: { language: string }) => g.language === RUN_LOG_LANGUAGE);
  assert.ok(grammar && fs.existsSync(path.join(repo, grammar.path)));
  assert.ok(fs.existsSync(path.join(repo, pkg.icon)));
});

test('log redaction masks the stored token and anything shaped like an HF token', () => {
  assert.equal(redact('env HF_TOKEN=s3cret-value ok', ['s3cret-value']), 'env HF_TOKEN=*** ok');
  assert.equal(redact('auth hf_abcdefghijklmnopqrstuvwxyz123 failed', []), 'auth hf_*** failed');
  assert.equal(redact('hf_short stays', []), 'hf_short stays');
});

test('run-log grammar: every pattern compiles and every line of a rendered log gets its tag coloured', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  const file = pkg.contributes.grammars.find((g: { language: string }) => g.language === RUN_LOG_LANGUAGE).path;
  const grammar = JSON.parse(fs.readFileSync(path.join(repo, file), 'utf8'));
  const tagged: RegExp[] = grammar.repository.tagged.patterns.map((p: { match: string }) => new RegExp(p.match));
  for (const p of grammar.repository.values.patterns) assert.doesNotThrow(() => new RegExp(p.match), p.match);
  const log = formatRunLog([
    { kind: 'run-started', runId: 'r', runDir: '/r', totalSteps: 2, initialPrompt: 'Go.', model: 'demo', task: 'demo' },
    { kind: 'phase', step: 1, phase: 'gradient' },
    { kind: 'candidates', step: 1, position: 0, promptTokens: ['Go'], heat: [1], candidates: [{ token: 'Run', id: 3, score: 0.5 }] },
    step(1, 0.5, 'Run.'), { kind: 'evaluation', role: 'best', prompt: 'Run.', correct: 3, total: 4, accuracy: 0.75 },
    { kind: 'done', reason: 'completed', bestPrompt: 'Run.', initialAccuracy: 0.5, bestAccuracy: 0.75 },
    { kind: 'log', level: 'warn', message: 'slow' }, { kind: 'error', message: 'x', resumable: false },
  ]);
  for (const line of log.trimEnd().split('\n')) assert.ok(tagged.some((re) => re.test(line)), `no tag pattern for: ${line}`);
});

test('trust: a restored panel keeps only workspace sources and run folders inside the runs folder', () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-trust-'));
  try {
    const runs = path.join(ws, '.greater', 'runs');
    const run = path.join(runs, 'r1');
    fs.mkdirSync(run, { recursive: true });
    fs.writeFileSync(path.join(run, 'run.json'), '{}');
    const inWorkspace = (uri: string) => uri.startsWith(`file://${ws}/`);
    const ok = sanitizeSession<{ uri: string }>({ source: { uri: `file://${ws}/a.ts` }, runDir: run, runId: 'forged' }, { inWorkspace, runsDir: runs });
    assert.deepEqual(ok.session, { source: { uri: `file://${ws}/a.ts` }, runDir: run, runId: 'r1' });
    assert.deepEqual(ok.dropped, []);
    const bad = sanitizeSession<{ uri: string }>({ source: { uri: 'file:///etc/hosts' }, runDir: '/etc' }, { inWorkspace, runsDir: runs });
    assert.deepEqual(bad.session, {});
    assert.equal(bad.dropped.length, 2);
    // a folder inside the runs folder without run.json, the runs folder itself, and a "../" escape are not runs
    fs.mkdirSync(path.join(runs, 'empty'));
    for (const d of [path.join(runs, 'empty'), runs, `${runs}/../../..`]) assert.equal(isRunFolder(runs, d), false, d);
    assert.equal(isRunFolder(runs, run), true);
    assert.deepEqual(sanitizeSession(null, { inWorkspace, runsDir: runs }).session, {});
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('trust: the runs-folder setting stays inside the workspace', () => {
  const ws = path.resolve(os.tmpdir(), 'ws');
  assert.deepEqual(resolveRunsFolder(ws, 'out/runs'), { dir: path.join(ws, 'out', 'runs') });
  assert.deepEqual(resolveRunsFolder(ws, ''), { dir: path.join(ws, '.greater', 'runs') });
  for (const bad of ['/var/tmp/runs', '../elsewhere']) {
    const r = resolveRunsFolder(ws, bad);
    assert.equal(r.dir, path.join(ws, '.greater', 'runs'));
    assert.match(r.warning ?? '', /is not a folder inside the workspace; using '\.greater\/runs'/);
  }
});

test('status bar: the first step shows with its phase and ETA as soon as it begins, not "starting" until it ends', () => {
  const phase = (step: number, p: RunEventOf<'phase'>['phase'], etaSeconds?: number, candidate?: { index: number; total: number }): RunEventOf<'phase'> =>
    ({ kind: 'phase', step, phase: p, etaSeconds, ...(candidate ? { candidate } : {}) });
  assert.equal(runStatusText({ cancelling: false }), 'loading the model');
  assert.equal(runStatusText({ cancelling: false, totalSteps: 10, lastPhase: phase(1, 'reasoning', 180) }), 'step 1/10 · reasoning · ETA 3 min');
  assert.equal(runStatusText({ cancelling: false, totalSteps: 10, lastPhase: phase(1, 'selection', 75, { index: 2, total: 5 }) }), 'step 1/10 · selection 2/5 · ETA 75 s');
  const step1: RunEventOf<'step'> = {
    kind: 'step', step: 1, totalSteps: 10, position: 0, prompt: 'p', promptTokens: ['p'], score: 1.25, accuracy: 0.5, bestScore: 1.25,
    bestPrompt: 'p', etaSeconds: 600, counts: { forwardPasses: 1, backwardPasses: 1, generatedTokens: 1 },
  };
  assert.equal(runStatusText({ cancelling: false, lastStep: step1, lastPhase: phase(2, 'proposal', 590) }), 'step 2/10 · proposal · best 1.250 · ETA 10 min');
  assert.equal(runStatusText({ cancelling: true, lastStep: step1, lastPhase: phase(1, 'evaluation') }), 'step 1/10 · stopping: held-out check · best 1.250');
});

test('the runs folder is git-ignored (a user\'s own .gitignore is kept), and runs from a prompt are labelled by its place', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-gitignore-'));
  try {
    const runs = path.join(dir, '.greater', 'runs');
    ensureRunsGitignore(runs);
    const written = fs.readFileSync(path.join(runs, '.gitignore'), 'utf8');
    assert.ok(written.split('\n').includes('*'), written);
    fs.writeFileSync(path.join(runs, '.gitignore'), 'mine\n');
    ensureRunsGitignore(runs);
    assert.equal(fs.readFileSync(path.join(runs, '.gitignore'), 'utf8'), 'mine\n');
    assert.deepEqual(listRuns(runs, () => false), [], 'the file is not taken for a run');
    const git = spawnSync('git', ['init', '-q', dir]);
    if (git.status === 0) {
      fs.writeFileSync(path.join(runs, '.gitignore'), '');
      fs.rmSync(path.join(runs, '.gitignore'));
      ensureRunsGitignore(runs);
      fs.mkdirSync(path.join(runs, 'r1'));
      fs.writeFileSync(path.join(runs, 'r1', 'events.jsonl'), '{}\n');
      const st = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' });
      assert.equal(st.stdout.trim(), '', `git sees run files: ${st.stdout}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(runLabel({ id: 'demo-20261205-081300' }, 'prompts.ts:4'), { label: 'prompts.ts:4', idNote: 'demo-20261205-081300' });
  assert.deepEqual(runLabel({ id: 'demo-20261205-081300' }, undefined), { label: 'demo-20261205-081300' });
});

test('the result view\'s per-example table pairs each held-out example\'s initial and best answers by its index', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-examples-'));
  try {
    assert.equal(readHeldOutExamples(dir), undefined, 'no report yet');
    const ex = (index: number, answer: string | null, correct: boolean) => ({ index, line: index + 2, question: `q${index}`, gold: 'g', answer, correct, reasoning: `r${index}${answer}` });
    fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({
      heldOut: { initial: { examples: [ex(4, 'x', false), ex(9, 'g', true)] }, best: [{ examples: [ex(9, null, false), ex(4, 'g', true)] }] },
    }));
    assert.deepEqual(readHeldOutExamples(dir), [
      { line: 6, question: 'q4', gold: 'g', initial: { answer: 'x', correct: false, reasoning: 'r4x' }, best: { answer: 'g', correct: true, reasoning: 'r4g' } },
      { line: 11, question: 'q9', gold: 'g', initial: { answer: 'g', correct: true, reasoning: 'r9g' }, best: { answer: null, correct: false, reasoning: 'r9null' } },
    ]);
    fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({
      best: [{ prompt: 'p1', score: 1.5, accuracy: 0.5 }, { prompt: 'p2', score: 1.6, accuracy: 0.25 }],
      readability: { initial: 9.5, top: [30, 11] }, heldOut: { best: [{ prompt: 'p1', accuracy: 0.75 }] },
    }));
    assert.deepEqual(readTopPrompts(dir), {
      top: [
        { prompt: 'p1', score: 1.5, trainAccuracy: 0.5, perplexity: 30, heldOutAccuracy: 0.75 },
        { prompt: 'p2', score: 1.6, trainAccuracy: 0.25, perplexity: 11 },
      ],
      initialPerplexity: 9.5,
    });
    fs.writeFileSync(path.join(dir, 'report.json'), JSON.stringify({ heldOut: null }));
    assert.equal(readHeldOutExamples(dir), undefined, 'a run stopped before its evaluation');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
