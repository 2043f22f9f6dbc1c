// Benchmarks measure the engine as users get it: where the CLI and the extension start engine processes with huge
// pages (src/worker/protocol/launch-env.ts), a benchmark run by npm relaunches itself the same way.
// GREATER_HUGE_PAGES=0 measures with the system's page policy instead.
import { relaunchWithHugePages } from '../src/cli/relaunch';

export function runAsLaunched(main: () => Promise<void>): void {
  const relaunched = relaunchWithHugePages(process.argv[1], process.argv.slice(2));
  const run = relaunched ? relaunched.then((code) => { process.exitCode = code; }) : main();
  run.catch((e) => {
    process.stderr.write(String((e as Error).stack ?? e) + '\n');
    process.exitCode = 1;
  });
}
