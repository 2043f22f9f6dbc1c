// What one `greater` sub-command declares: its summary, its flags (for --help) and its body. The
// dispatcher (main.ts) loads a command module only when that command runs.
import type { FlagSpec } from './args';

export interface Command {
  summary: string;
  /** With flags, `--help` is answered here from them; without, the command handles `--help` itself. */
  flags?: FlagSpec;
  run(argv: string[]): Promise<number>;
}
