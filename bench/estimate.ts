// The measured estimate against the run it predicts: `greater optimize` on the built-in demo (or --model M --task T
// with any other flags passed through), the estimate read from its log event, the run timed from the end of the
// probe to the end of the held-out evaluation. Usage: npm run bench:estimate [-- --model M --task T --steps 2 …]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface Event { kind: string; level?: string; message?: string; step?: number }

async function main(): Promise<void> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-bench-est-'));
  const args = ['optimize', '--json-events', '--plateau-stop=false', '--out', path.join(out, 'run'), ...process.argv.slice(2)];
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../bin/greater.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen: { estimate: number | null } = { estimate: null };
  let tProbeEnd = 0;
  let buf = '';
  let steps = 0;
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, i)) as Event;
      buf = buf.slice(i + 1);
      if (e.kind === 'log' && e.message?.startsWith('estimate: about')) {
        tProbeEnd = performance.now();
        seen.estimate = parseDuration(/about ([\d.]+ (?:s|min|h))/.exec(e.message)![1]);
        console.log(e.message);
      }
      if (e.kind === 'step') steps = e.step!;
    }
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const measured = (performance.now() - tProbeEnd) / 1000;
  fs.rmSync(out, { recursive: true, force: true });
  const estimate = seen.estimate;
  if (code !== 0 || estimate === null) throw new Error(`greater optimize exited with ${code}${estimate === null ? ' before printing an estimate' : ''}`);
  console.log(`steps run: ${steps}; estimated ${estimate.toFixed(0)} s, measured ${measured.toFixed(0)} s; measured / estimated = ${(measured / estimate).toFixed(2)}`);
}

function parseDuration(s: string): number {
  const [v, unit] = s.split(' ');
  return parseFloat(v) * (unit === 'h' ? 3600 : unit === 'min' ? 60 : 1);
}

main().catch((e) => { console.error(String(e)); process.exitCode = 1; });
