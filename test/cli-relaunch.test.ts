// The CLI's launcher (src/cli/relaunch.ts) runs engine commands in a child started with huge pages: the child must
// get the tunable, and to a caller (a shell, a test, the crash tests) the pair must behave as one process: exit
// code and signal mirrored, a signal sent to the launcher delivered once, the child gone when the launcher is
// killed with SIGKILL. Also the environment rule itself (worker/protocol/launch-env.ts).
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { HUGE_PAGES_TUNABLE, runsOnGlibc, withHugePages } from '../src/worker/protocol/launch-env';

const relaunchJs = path.resolve(__dirname, '..', 'src', 'cli', 'relaunch.js');
const bin = path.resolve(__dirname, '..', '..', 'bin', 'greater.js');

test('withHugePages adds the tunable on Linux with glibc only, keeps the user\'s tunables, and can be turned off', () => {
  assert.equal(withHugePages({}, 'linux', true)?.GLIBC_TUNABLES, HUGE_PAGES_TUNABLE);
  assert.equal(withHugePages({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', true)?.GLIBC_TUNABLES, `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`);
  assert.equal(withHugePages({ PATH: '/bin' }, 'linux', true)?.PATH, '/bin');
  assert.equal(withHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux', true), null, 'the user decided');
  assert.equal(withHugePages({}, 'darwin', true), null);
  assert.equal(withHugePages({}, 'win32', false), null);
  assert.equal(withHugePages({}, 'linux', false), null, 'musl ignores GLIBC_TUNABLES');
  assert.equal(withHugePages({ GREATER_HUGE_PAGES: '0' }, 'linux', true), null);
  assert.equal(runsOnGlibc({ getReport: () => ({ header: { glibcVersionRuntime: '2.36' } }) }), true);
  assert.equal(runsOnGlibc({ getReport: () => ({ header: {} }) }), false);
});

/** A stand-in command: relaunches itself once, then acts on argv[2] in the child. */
function fixture(dir: string): string {
  const script = path.join(dir, 'cmd.js');
  fs.writeFileSync(script, `
const { relaunch, followLauncher, RELAUNCHED_ENV } = require(${JSON.stringify(relaunchJs)});
const what = process.argv[2];
if (process.env[RELAUNCHED_ENV] !== '1') {
  relaunch(__filename, process.argv.slice(2), { ...process.env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }).then((c) => { process.exitCode = c; });
} else {
  followLauncher();
  // the handler before the line the test waits for: a SIGINT must never meet the default action
  if (what === 'int') { let n = 0; process.on('SIGINT', () => { n++; setTimeout(() => { console.log('ints ' + n); process.exit(0); }, 300); }); setInterval(() => {}, 1000); }
  console.log(JSON.stringify({ pid: process.pid, ppid: process.ppid, tunables: process.env.GLIBC_TUNABLES }));
  if (what === 'exit') process.exitCode = 3;
  if (what === 'kill') process.kill(process.pid, 'SIGKILL');
  if (what === 'wait') setInterval(() => {}, 1000);
}
`);
  return script;
}

function firstLine(child: ReturnType<typeof spawn>): Promise<{ pid: number; ppid: number; tunables: string }> {
  return new Promise((resolve) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
    });
  });
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('the relaunched child gets the environment; its exit code and its signal are the launcher\'s', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-relaunch-'));
  try {
    const script = fixture(dir);
    const code = spawnSync(process.execPath, [script, 'exit'], { encoding: 'utf8' });
    const info = JSON.parse(code.stdout.split('\n')[0]);
    assert.equal(info.tunables, 'glibc.malloc.hugetlb=1');
    assert.equal(info.ppid, code.pid, 'the command ran in a child of the launcher');
    assert.equal(code.status, 3);
    const killed = spawnSync(process.execPath, [script, 'kill'], { encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a SIGINT sent to the launcher reaches the child exactly once; Ctrl-Z stops both; SIGKILL of the launcher ends the child', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-relaunch-'));
  try {
    const script = fixture(dir);
    const int = spawn(process.execPath, [script, 'int'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await firstLine(int);
    let out = '';
    int.stdout.on('data', (d: Buffer) => (out += d.toString()));
    int.kill('SIGINT');
    const code = await new Promise<number | null>((r) => int.on('exit', r));
    assert.equal(code, 0);
    assert.match(out, /ints 1\b/);

    // Ctrl-Z and fg: the child stops and continues with its launcher
    const stopped = spawn(process.execPath, [script, 'int'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const child = (await firstLine(stopped)).pid;
    const state = (pid: number) => /^\d+ \(.*\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))![1];
    const reach = async (pid: number, want: (s: string) => boolean) => {
      const end = Date.now() + 5000;
      while (!want(state(pid)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return state(pid);
    };
    stopped.kill('SIGTSTP');
    assert.equal(await reach(child, (s) => s === 'T'), 'T', 'the child was not stopped');
    assert.equal(await reach(stopped.pid!, (s) => s === 'T'), 'T', 'the launcher was not stopped');
    stopped.kill('SIGCONT');
    assert.notEqual(await reach(child, (s) => s !== 'T'), 'T', 'the child was not continued');
    stopped.kill('SIGINT');
    assert.equal(await new Promise<number | null>((r) => stopped.on('exit', r)), 0);

    const wait = spawn(process.execPath, [script, 'wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { pid } = await firstLine(wait);
    assert.ok(alive(pid));
    wait.kill('SIGKILL');
    await new Promise((r) => wait.on('exit', r));
    const until = Date.now() + 5000;
    while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(alive(pid), false, 'the child outlived its killed launcher');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('`greater optimize` runs in a child with the tunable, and its memory is on huge pages', { skip: process.platform !== 'linux' || !runsOnGlibc() ? 'Linux with glibc only' : false }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-relaunch-'));
  const cli = spawn(process.execPath, [bin, 'optimize', '--steps', '3', '--held-out', '0', '--json-events', '--out', path.join(dir, 'run')], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GLIBC_TUNABLES: undefined },
  });
  try {
    await new Promise<void>((resolve) => cli.stdout.once('data', () => resolve())); // the model is loaded by now
    const children = fs.readFileSync(`/proc/${cli.pid}/task/${cli.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    assert.equal(children.length, 1, 'one child runs the command');
    const environ = fs.readFileSync(`/proc/${children[0]}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes(`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}`), environ.filter((e) => e.startsWith('GLIBC')).join() || 'no GLIBC_TUNABLES');
    const thp = fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    if (/\[never\]/.test(thp)) return; // the kernel gives none; the environment is all that can be checked
    const huge = Number(/AnonHugePages:\s+(\d+)/.exec(fs.readFileSync(`/proc/${children[0]}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    assert.ok(huge > 0, 'no anonymous huge pages in the engine process');
  } finally {
    cli.kill('SIGKILL');
    await new Promise((r) => cli.on('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
