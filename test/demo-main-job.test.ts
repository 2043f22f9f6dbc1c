// The README's main job: `greater optimize` with no model and no task runs the built-in demo end to end
// (here 2 steps and a small held-out set, to keep the test short).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '../../bin/greater.js');

test('greater optimize with no model or task uses the built-in demo and reports held-out before → after', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-main-'));
  try {
    const r = await run(process.execPath, [bin, 'optimize', '--steps', '2', '--held-out', '20', '--out', path.join(out, 'run')]);
    assert.match(r.stderr, /built-in demo/);
    assert.match(r.stdout, /held-out accuracy: initial \d+\.\d% → best \d+\.\d%/);
    const runJson = JSON.parse(fs.readFileSync(path.join(out, 'run', 'run.json'), 'utf8'));
    assert.match(JSON.stringify(runJson), /greater-demo/);
    assert.match(JSON.stringify(runJson), /a rough estimate\./);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'run', 'report.json'), 'utf8'));
    assert.ok(report, 'report.json written');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the plateau rule ends a run exactly --plateau-steps steps after the last better score', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-plateau-'));
  try {
    const r = await run(process.execPath, [bin, 'optimize', '--steps', '40', '--train-size', '10', '--held-out', '0', '--plateau-steps', '2',
      '--json-events', '--out', path.join(out, 'run')]);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; step?: number; bestScore?: number; reason?: string });
    const steps = events.filter((e) => e.kind === 'step');
    let best = Infinity;
    let lastBetter = 0;
    for (const s of steps) if (s.bestScore! < best) { best = s.bestScore!; lastBetter = s.step!; }
    assert.ok(steps.length < 40, 'the run went to the step limit');
    assert.equal(steps.at(-1)!.step! - lastBetter, 2);
    assert.equal(events.at(-1)!.reason, 'early-stop');
    const report = JSON.parse(fs.readFileSync(path.join(out, 'run', 'report.json'), 'utf8')) as { finished: string };
    assert.equal(report.finished, 'plateau');
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the full default main job gives the result the README quotes, with no two words glued', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-main-full-'));
  try {
    const r = await run(process.execPath, [bin, 'optimize', '--json-events', '--out', path.join(out, 'run')]);
    const done = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { kind: string; bestPrompt: string; initialAccuracy: number; bestAccuracy: number };
    assert.equal(done.kind, 'done');
    assert.ok(done.bestAccuracy >= 0.95, `best ${done.bestAccuracy}`);
    assert.doesNotMatch(done.bestPrompt, /\p{Ll}\p{Lu}/u, 'two words glued');
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    assert.ok(readme.includes(`\`initial ${pct(done.initialAccuracy)} → best ${pct(done.bestAccuracy)}\` with "${done.bestPrompt}"`),
      `README quotes another result than initial ${pct(done.initialAccuracy)} → best ${pct(done.bestAccuracy)} with "${done.bestPrompt}"`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
