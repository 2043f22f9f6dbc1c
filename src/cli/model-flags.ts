// Flags shared by every command that loads a model, the one function that loads it, and the one start-up of
// a model command (parse flags, check them before the slow load, load, run, dispose).
import { LanguageModel, UserError, parseDevice, parsePrecision, parseQuantize } from '../engine';
import { FlagSpec, ParsedFlags, parseFlags, requireString } from './args';
import type { Command } from './command';

export const MODEL_FLAGS: FlagSpec = {
  model: { kind: 'string', help: 'a Hugging Face model folder, or a hub id such as Qwen/Qwen2.5-0.5B-Instruct' },
  device: { kind: 'string', help: 'cpu | cuda | webgpu | auto', default: 'cpu' },
  quantize: { kind: 'string', help: 'none | int8 | int4 | auto: weight-only quantization of generation on CPU (README "Quantization")', default: 'none' },
  precision: { kind: 'string', help: 'fp32 | fp16 | auto: float16 weights and products on WebGPU (README "Precision")', default: 'fp32' },
  revision: { kind: 'string', help: 'hub revision (branch, tag or commit)' },
};

export async function loadModel(command: string, flags: ParsedFlags): Promise<LanguageModel> {
  const model = requireString(command, flags, 'model');
  const m = await LanguageModel.load(model, {
    device: parseDevice(String(flags.device ?? 'cpu')),
    quantize: parseQuantize(String(flags.quantize ?? 'none')),
    precision: parsePrecision(String(flags.precision ?? 'fp32')),
    revision: typeof flags.revision === 'string' ? flags.revision : undefined,
  });
  if (m.deviceNote) process.stderr.write(`greater ${command}: ${m.deviceNote}\n`);
  return m;
}

/** "1,2,3" → [1,2,3], with the flag named in the error. */
export function parseIdList(flag: string, s: string): number[] {
  const parts = s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (!parts.length) throw new UserError(`--${flag} expects comma-separated token ids such as 1,2,3, got '${s}'`);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`--${flag}: '${p}' is not a token id (a non-negative integer)`);
    return n;
  });
}

/**
 * A command over one model: its flags are MODEL_FLAGS plus `flags`; `check` validates the parsed flags before
 * the model loads (bad input fails fast) and returns what `run` needs; the model is disposed however run ends.
 */
export function modelCommand<T>(spec: {
  name: string;
  summary: string;
  flags: FlagSpec;
  check: (f: ParsedFlags) => T;
  run: (m: LanguageModel, input: T, f: ParsedFlags) => Promise<number>;
}): Command {
  const flags: FlagSpec = { ...MODEL_FLAGS, ...spec.flags };
  return {
    summary: spec.summary,
    flags,
    async run(argv) {
      const f = parseFlags(spec.name, argv, flags);
      const input = spec.check(f);
      const m = await loadModel(spec.name, f);
      try {
        return await spec.run(m, input, f);
      } finally {
        await m.dispose();
      }
    },
  };
}
