// `greater optimize` as a real process: the same seed gives the same trajectory, and a run killed with
// SIGKILL (mid-step and between steps) then resumed with --resume ends with the same prompts, scores and
// held-out results as the uninterrupted run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyModel } from './helpers/tiny-models';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-resume-'));
const modelDir = path.join(root, 'model');
const taskFile = path.join(root, 'compare.jsonl');
after(() => fs.rmSync(root, { recursive: true, force: true }));

before(() => {
  writeTinyModel(modelDir, 'llama', { seed: 11 });
  const rows: string[] = [];
  for (let i = 0; i < 14; i++) {
    const a = (i * 7) % 10, b = (i * 3 + 1) % 10;
    rows.push(JSON.stringify({ question: `Is ${a} larger than ${b}?\nOptions:\n(A) yes\n(B) no`, answer: a > b ? '(A)' : '(B)' }));
  }
  fs.writeFileSync(taskFile, rows.join('\n') + '\n');
});

const ARGS = ['--task', taskFile, '--steps', '5', '--train-size', '6', '--held-out', '4', '--max-new-tokens', '6',
  '--top-k', '6', '--top-q', '3', '--batch-size', '3', '--seed', '7', '--json-events'];

function runToEnd(args: string[]): { events: Record<string, unknown>[]; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'optimize', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `optimize failed: ${r.stderr}`);
  return { events: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>), stderr: r.stderr };
}

/** Starts a run and sends `signal` when `when` first matches an event line; resolves once it has exited. */
function runAndKill(args: string[], when: (e: Record<string, unknown>) => boolean, signal: NodeJS.Signals = 'SIGKILL', env: NodeJS.ProcessEnv = process.env): Promise<{ killed: boolean; events: Record<string, unknown>[]; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'optimize', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let buf = '';
    let killed = false;
    const events: Record<string, unknown>[] = [];
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const e = JSON.parse(line) as Record<string, unknown>;
        events.push(e);
        if (!killed && when(e)) { killed = true; child.kill(signal); }
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ killed, events, code }));
  });
}

interface Outcome { top: unknown; history: unknown; heldOut: unknown; ctrl: unknown }

function outcome(dir: string): Outcome {
  const best = JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8'));
  const ck = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8'));
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  // Wall-clock fields differ between runs; everything else must match.
  const history = ck.history.map((h: Record<string, unknown>) => ({ ...h, seconds: 0 }));
  const heldOut = { initial: report.heldOut.initial.examples, best: report.heldOut.best[0].examples, comparison: report.heldOut.comparison };
  return { top: best.top, history, heldOut, ctrl: [ck.ctrl, ck.pos] };
}

let reference: Outcome;

test('same seed → same trajectory (two uninterrupted runs)', () => {
  const a = path.join(root, 'a'), b = path.join(root, 'b');
  const ra = runToEnd(['--model', modelDir, '--out', a, ...ARGS]);
  runToEnd(['--model', modelDir, '--out', b, ...ARGS]);
  reference = outcome(a);
  assert.deepEqual(outcome(b), reference);
  const steps = ra.events.filter((e) => e.kind === 'step');
  assert.equal(steps.length, 5);
  assert.equal(ra.events[ra.events.length - 1].kind, 'done');
  // The events file holds the same events as the stream.
  const logged = fs.readFileSync(path.join(a, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(logged.map((e: { kind: string }) => e.kind), ra.events.map((e) => e.kind));
});

for (const [name, when] of [
  ['mid-step (during selection of step 3)', (e: Record<string, unknown>) => e.kind === 'phase' && e.step === 3 && e.phase === 'selection'],
  ['right after step 2 was reported', (e: Record<string, unknown>) => e.kind === 'step' && e.step === 2],
  ['during the first step', (e: Record<string, unknown>) => e.kind === 'phase' && e.step === 1 && e.phase === 'gradient'],
] as const) {
  test(`SIGKILL ${name}, then --resume → identical result`, async () => {
    assert.ok(reference, 'reference run missing');
    const dir = path.join(root, `k-${name.length}`);
    const { killed } = await runAndKill(['--model', modelDir, '--out', dir, ...ARGS], when);
    assert.ok(killed, 'the run ended before the kill point');
    assert.ok(!fs.existsSync(path.join(dir, 'report.json')), 'a killed run has no report');
    const resumed = runToEnd(['--resume', dir, '--json-events']);
    assert.equal(resumed.events[0].kind, 'run-started');
    assert.deepEqual(outcome(dir), reference);
  });
}

test('Ctrl-C (SIGINT) stops after the step, still reports held-out before → after; --resume then finishes identically', async () => {
  assert.ok(reference, 'reference run missing');
  const dir = path.join(root, 'interrupted');
  const { killed, events, code } = await runAndKill(['--model', modelDir, '--out', dir, ...ARGS], (e) => e.kind === 'step' && e.step === 2, 'SIGINT');
  assert.ok(killed);
  assert.equal(code, 130);
  const done = events[events.length - 1];
  assert.equal(done.kind, 'done');
  assert.equal(done.reason, 'cancelled');
  assert.equal(typeof done.initialAccuracy, 'number', 'held-out accuracy of the initial prompt is reported');
  assert.equal(typeof done.bestAccuracy, 'number', 'and of the best prompt so far');
  assert.ok(events.filter((e) => e.kind === 'step').length < 5, 'the run stopped early');
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).finished, 'stopped');
  runToEnd(['--resume', dir, '--json-events']);
  assert.deepEqual(outcome(dir), reference);
});

test('Ctrl-C in the middle of a step interrupts it at a sub-step boundary, still with held-out before → after; --resume redoes that step identically', async () => {
  assert.ok(reference, 'reference run missing');
  const dir = path.join(root, 'interrupted-mid-step');
  // On the tiny model a whole selection takes milliseconds, less than the signal's way through the launcher: each
  // model run is slowed so that the step is still in flight when Ctrl-C arrives.
  const { killed, events, code } = await runAndKill(['--model', modelDir, '--out', dir, ...ARGS],
    (e) => e.kind === 'phase' && e.step === 3 && e.phase === 'selection', 'SIGINT', { ...process.env, GREATER_FAULT: 'slow-run:20' });
  assert.ok(killed);
  assert.equal(code, 130);
  const steps = events.filter((e) => e.kind === 'step').map((e) => e.step);
  assert.deepEqual(steps, [1, 2], 'the step in flight is dropped, not finished');
  const done = events[events.length - 1];
  assert.deepEqual([done.kind, done.reason], ['done', 'cancelled']);
  assert.equal(typeof done.initialAccuracy, 'number', 'held-out accuracy of the initial prompt is reported');
  assert.equal(typeof done.bestAccuracy, 'number', 'and of the best prompt so far');
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint.json'), 'utf8')).step, 2, 'the checkpoint is the last finished step');
  runToEnd(['--resume', dir, '--json-events']);
  assert.deepEqual(outcome(dir), reference);
});

test('a GPU lost mid-run (GREATER_FAULT=device-lost:N): one line naming the --resume command; it finishes identically on the CPU', () => {
  assert.ok(reference, 'reference run missing');
  const dir = path.join(root, 'device-lost');
  const r = spawnSync(process.execPath, [bin, 'optimize', '--model', modelDir, '--out', dir, ...ARGS], { encoding: 'utf8', env: { ...process.env, GREATER_FAULT: 'device-lost:120' } });
  assert.notEqual(r.status, 0, 'the run failed');
  const steps = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.kind === 'step');
  assert.ok(steps.length >= 1 && steps.length < 5, `the fault hit mid-run (after ${steps.length} steps)`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /the GPU device was lost while running the \S+ graph/);
  assert.ok(lines[0].includes(`'greater optimize --resume ${dir} --device cpu' continues`), lines[0]);
  runToEnd(['--resume', dir, '--device', 'cpu', '--json-events']);
  assert.deepEqual(outcome(dir), reference);
});

test('--resume refuses settings that belong to the run folder', () => {
  const r = spawnSync(process.execPath, [bin, 'optimize', '--resume', path.join(root, 'a'), '--steps', '9'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--resume takes its settings from the run folder; remove --steps/);
});

test('--quantize int8 is recorded in run.json and kept by --resume: a killed and resumed run ends as the uninterrupted one', async () => {
  const full = path.join(root, 'q-full'), killedDir = path.join(root, 'q-killed');
  runToEnd(['--model', modelDir, '--out', full, '--quantize', 'int8', ...ARGS]);
  assert.equal(JSON.parse(fs.readFileSync(path.join(full, 'run.json'), 'utf8')).quantize, 'int8');
  const { killed } = await runAndKill(['--model', modelDir, '--out', killedDir, '--quantize', 'int8', ...ARGS], (e) => e.kind === 'step' && e.step === 2);
  assert.ok(killed, 'the run ended before the kill point');
  runToEnd(['--resume', killedDir, '--json-events']);
  assert.deepEqual(outcome(killedDir), outcome(full));
});
