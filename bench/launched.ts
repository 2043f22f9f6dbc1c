// Benchmarks measure the engine as users get it: where the CLI and the extension start engine processes with huge
// pages (src/worker/protocol/launch-env.ts), a benchmark run by npm relaunches itself the same way.
// GREATER_HUGE_PAGES=0 measures with the system's page policy instead.
import { followLauncher, relaunch, RELAUNCHED_ENV } from '../src/cli/relaunch';
import { runsOnGlibc, withHugePages } from '../src/worker/protocol/launch-env';

export function runAsLaunched(main: () => Promise<void>): void {
  const env = process.env[RELAUNCHED_ENV] === '1' ? null : withHugePages(process.env, process.platform, runsOnGlibc());
  const run = env ? relaunch(process.argv[1], process.argv.slice(2), env).then((code) => { process.exitCode = code; }) : (followLauncher(), main());
  run.catch((e) => {
    process.stderr.write(String((e as Error).stack ?? e) + '\n');
    process.exitCode = 1;
  });
}
