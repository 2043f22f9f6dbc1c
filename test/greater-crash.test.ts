// Crash consistency: a seeded run killed (SIGKILL) inside every file write (before and after each rename),
// halfway through event lines, and again during its resume, ends with the same best.json and report.json as
// the uninterrupted run, with no temp files left. A run killed before its folder exists restarts cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const ARGS = ['optimize', '--steps', '3', '--train-size', '6', '--held-out', '6', '--seed', '1', '--estimate=false', '--plateau-stop=false'];

function greater(args: string[], fault?: string) {
  const env = { ...process.env };
  if (fault) env.GREATER_FAULT = fault; else delete env.GREATER_FAULT;
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
}

/** best.json and report.json without wall-clock fields. */
function outcome(dir: string): unknown {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'seconds').map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as unknown;
  return strip({ best: read('best.json'), report: read('report.json') });
}

function temps(dir: string): string[] {
  const found: string[] = [];
  for (const d of [dir, path.dirname(dir)]) for (const n of fs.existsSync(d) ? fs.readdirSync(d) : []) if (/\.tmp-\d+$|\.new$|\.stale$/.test(n)) found.push(path.join(d, n));
  return found;
}

/** Runs to completion from a kill: resume while the folder holds a run, restart the command otherwise. */
function finish(dir: string, resumeFault?: string): void {
  const first = fs.existsSync(path.join(dir, 'run.json'))
    ? greater(['optimize', '--resume', dir], resumeFault)
    : greater([...ARGS, '--out', dir], resumeFault);
  if (first.status === 0) return;
  assert.equal(first.signal, resumeFault ? 'SIGKILL' : null, `unexpected failure: ${first.stderr}`);
  const again = fs.existsSync(path.join(dir, 'run.json')) ? greater(['optimize', '--resume', dir]) : greater([...ARGS, '--out', dir]);
  assert.equal(again.status, 0, again.stderr);
}

test('killed inside any write, and during its resume, a run ends exactly as the uninterrupted one', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-crash-'));
  try {
    const ref = path.join(root, 'ref', 'run');
    fs.mkdirSync(path.dirname(ref));
    const r = greater([...ARGS, '--out', ref]);
    assert.equal(r.status, 0, r.stderr);
    const expected = outcome(ref);
    const appends = fs.readFileSync(path.join(ref, 'events.jsonl'), 'utf8').trim().split('\n').length;
    const writes = 1 + 2 * 3 + 2; // run.json, checkpoint + best per step, report.json + report.md

    const points: { fault: string; resumeFault?: string }[] = [];
    for (let n = 1; n <= writes; n++) for (const at of ['before', 'after']) points.push({ fault: `kill-write:${n}:${at}` });
    for (const n of [2, Math.floor(appends / 2), appends - 1]) points.push({ fault: `kill-append:${n}` });
    // the resume is killed too (its own writes count from 1)
    points.push({ fault: 'kill-write:4:after', resumeFault: 'kill-write:2:before' });
    points.push({ fault: 'kill-write:6:before', resumeFault: 'kill-append:3' });
    points.push({ fault: 'kill-append:5', resumeFault: 'kill-write:1:after' });
    assert.ok(points.length >= 20);

    let identical = 0;
    for (const [i, p] of points.entries()) {
      const dir = path.join(root, `p${i}`, 'run');
      fs.mkdirSync(path.dirname(dir));
      const killed = greater([...ARGS, '--out', dir], p.fault);
      assert.equal(killed.signal, 'SIGKILL', `${p.fault}: the fault point was not reached (${killed.stderr})`);
      finish(dir, p.resumeFault);
      assert.deepEqual(outcome(dir), expected, `${p.fault}${p.resumeFault ? ` then ${p.resumeFault}` : ''}: a different outcome`);
      assert.deepEqual(temps(dir), [], `${p.fault}: temp files left`);
      const events = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
      events.forEach((l, k) => assert.doesNotThrow(() => JSON.parse(l), `${p.fault}: events line ${k + 1} torn`));
      identical++;
    }
    console.log(`# crash consistency: ${identical}/${points.length} kill points ended identical to the uninterrupted run`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('one driver per run folder: a second resume while the first runs is refused in one line', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-lock-'));
  try {
    const dir = path.join(root, 'run');
    const killed = greater([...ARGS, '--out', dir], 'kill-write:3:after');
    assert.equal(killed.signal, 'SIGKILL');
    // A live process holds the lock: this test process.
    fs.writeFileSync(path.join(dir, '.run.lock'), JSON.stringify({ pid: process.pid }));
    const r = greater(['optimize', '--resume', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim(), new RegExp(`the run is being driven by process ${process.pid} .*wait for it to end or stop it, then resume$`));
    // A lock left by a dead process is taken over.
    fs.writeFileSync(path.join(dir, '.run.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    assert.equal(greater(['optimize', '--resume', dir]).status, 0);
    assert.ok(!fs.existsSync(path.join(dir, '.run.lock')), 'the lock was not released');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('--out never overwrites: a non-empty folder without a run is refused, naming what is there', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-out-'));
  try {
    fs.writeFileSync(path.join(root, 'notes.txt'), 'mine');
    const r = greater([...ARGS, '--out', root]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the folder is not empty and holds no run \(notes\.txt\); choose a new or empty folder for --out/);
    assert.equal(fs.readFileSync(path.join(root, 'notes.txt'), 'utf8'), 'mine');
    assert.deepEqual(fs.readdirSync(root), ['notes.txt']);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('OS errors on run files name the file, the cause and how to continue', async () => {
  const { fileError } = await import('../src/greater/atomic');
  const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
  assert.equal(fileError(err('ENOSPC'), '/r/checkpoint.json', 'write', '/r').message,
    "/r/checkpoint.json: cannot write: the disk is full (ENOSPC); the run so far is kept: free the cause, then 'greater optimize --resume /r' continues");
  assert.match(fileError(err('EROFS'), '/ro/run', 'create the run folder').message, /^\/ro\/run: cannot create the run folder: the file system is read-only \(EROFS\)$/);
  const other = err('EIO');
  assert.equal(fileError(other, '/x', 'write'), other); // unknown causes pass through unchanged
});
