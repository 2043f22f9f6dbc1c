// Flags shared by every command that loads a model, and the one function that loads it.
import { UserError } from '../engine';
import { LanguageModel, parseDevice } from '../engine';
import { FlagSpec, ParsedFlags, requireString } from './args';

export const MODEL_FLAGS: FlagSpec = {
  model: { kind: 'string', help: 'a Hugging Face model folder, or a hub id such as Qwen/Qwen2.5-0.5B-Instruct' },
  device: { kind: 'string', help: 'cpu | cuda | webgpu | auto', default: 'cpu' },
  revision: { kind: 'string', help: 'hub revision (branch, tag or commit)' },
};

export async function loadModel(command: string, flags: ParsedFlags): Promise<LanguageModel> {
  const model = requireString(command, flags, 'model');
  const m = await LanguageModel.load(model, {
    device: parseDevice(String(flags.device ?? 'cpu')),
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
