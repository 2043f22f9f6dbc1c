// Minimal typed flag parser: `--name value`, `--flag`, and `--name=value`. Unknown flags are errors.
import { UserError } from '../engine';

export type FlagKind = 'string' | 'number' | 'boolean';
export type FlagSpec = Record<string, { kind: FlagKind; help: string; default?: string | number | boolean }>;
export type ParsedFlags = Record<string, string | number | boolean | undefined>;

export function parseFlags(command: string, argv: string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = {};
  for (const [name, s] of Object.entries(spec)) if (s.default !== undefined) out[name] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UserError(`unexpected argument '${arg}' (flags start with --; see 'greater ${command} --help')`);
    let name = arg.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    const s = spec[name];
    if (!s) throw new UserError(`unknown flag --${name}; known flags: ${Object.keys(spec).map((k) => '--' + k).join(', ')}`);
    if (s.kind === 'boolean') {
      if (value !== undefined && value !== 'true' && value !== 'false') {
        throw new UserError(`--${name} is a switch; give it alone, or as --${name}=true / --${name}=false, got '--${name}=${value}'`);
      }
      out[name] = value !== 'false';
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UserError(`--${name} needs a value (${s.help})`);
      value = argv[++i];
    }
    if (s.kind === 'number') {
      // Number('') and Number(' ') are 0: '--seed=' must not quietly mean seed 0.
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n)) throw new UserError(`--${name} expects a number, got '${value}'`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

export function helpText(command: string, summary: string, spec: FlagSpec): string {
  const lines = [`greater ${command}: ${summary}`, ''];
  for (const [name, s] of Object.entries(spec)) {
    const def = s.default !== undefined ? ` (default ${String(s.default)})` : '';
    lines.push(`  --${name}${s.kind === 'boolean' ? '' : ' ' + s.kind.toUpperCase()}  ${s.help}${def}`);
  }
  return lines.join('\n');
}

export function requireString(command: string, flags: ParsedFlags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new UserError(`--${name} is required`);
  return v;
}
