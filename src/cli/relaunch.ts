// Runs the command in a child process started with a different environment (huge pages, see
// worker/protocol/launch-env.ts), as if it were this process: the same arguments and standard streams, its exit
// code or signal mirrored, every signal this process gets passed on exactly once (Ctrl-Z stops both), and the child gone as soon as
// this process is (kill -9 included), so a killed `greater` never leaves a run going on behind it.
import { spawn } from 'node:child_process';
import { runsOnGlibc, withHugePages } from '../worker/protocol/launch-env';

/** Marks the child, which must not relaunch again. */
export const RELAUNCHED_ENV = 'GREATER_RELAUNCHED';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGWINCH', 'SIGCONT'];

/** Resolves with the child's exit code; a child ended by a signal ends this process with the same signal. */
export function relaunch(script: string, argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    // Its own process group: a terminal's Ctrl-C reaches this process only, which passes it on once (in one
    // group, the child would get it twice when this process forwards a kill aimed at it alone).
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      env: { ...env, [RELAUNCHED_ENV]: '1' }, stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true,
    });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    // Job control (Ctrl-Z, then fg): the child, outside the terminal's process group, is stopped with us.
    const suspend = () => {
      child.kill('SIGSTOP');
      process.kill(process.pid, 'SIGSTOP');
    };
    const handlers = [...FORWARDED.map((sig) => [sig, forward(sig)] as const), ['SIGTSTP', suspend] as const];
    for (const [sig, h] of handlers) process.on(sig, h);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const [sig, h] of handlers) process.off(sig, h);
      if (signal) {
        process.kill(process.pid, signal);
        return; // SIGKILL ends us now; for a signal with a default handler, very shortly
      }
      resolve(code ?? 1);
    });
  });
}

/** In the child: end at once when the launcher is gone (its IPC channel closes), and let the channel not hold us. */
export function followLauncher(): void {
  if (!process.send || process.env[RELAUNCHED_ENV] !== '1') return;
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  process.channel?.unref();
}

/**
 * The one launch decision of the CLI and the benchmarks: relaunch `script` with `argv` where huge pages are to be
 * had (its exit code, once it ends), or null to run here, in which case this process follows its own launcher if
 * it is a relaunched child.
 */
export function relaunchWithHugePages(script: string, argv: readonly string[]): Promise<number> | null {
  const env = process.env[RELAUNCHED_ENV] === '1' ? null : withHugePages(process.env, process.platform, runsOnGlibc());
  if (env) return relaunch(script, argv, env);
  followLauncher();
  return null;
}
