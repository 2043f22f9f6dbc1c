// `greater convert <format> …`: turns checkpoints from other tools into Hugging Face folders the engine
// loads. Formats: llama2c (llama2.c legacy .bin checkpoint + tokenizer .bin).
import type { Command } from '../command';
import { helpText, parseFlags, requireString, type FlagSpec } from '../args';
import { UserError, convertLlama2c } from '../../engine';

const LLAMA2C_FLAGS: FlagSpec = {
  checkpoint: { kind: 'string', help: 'llama2.c legacy checkpoint, e.g. stories260K.bin' },
  tokenizer: { kind: 'string', help: 'llama2.c tokenizer export, e.g. tok512.bin' },
  out: { kind: 'string', help: 'folder to write the Hugging Face model into (created; must be empty)' },
  force: { kind: 'boolean', help: 'write into a non-empty folder, overwriting its files', default: false },
  help: { kind: 'boolean', help: 'show this help' },
};

const FORMATS = ['llama2c'];
const SUMMARY = 'convert a llama2.c checkpoint + tokenizer into a Hugging Face LlamaForCausalLM folder';

export const command: Command = {
  summary: 'convert other checkpoint formats into Hugging Face model folders',
  async run(argv: string[]): Promise<number> {
    const [format, ...rest] = argv;
    if (!format || format === '--help' || format === '-h') {
      process.stdout.write(`usage: greater convert <format> [flags]\nformats: ${FORMATS.join(', ')}\n\n${helpText('convert llama2c', SUMMARY, LLAMA2C_FLAGS)}\n`);
      return format ? 0 : 2;
    }
    if (format !== 'llama2c') throw new UserError(`greater convert: unknown format '${format}'; known formats: ${FORMATS.join(', ')}`);
    const flags = parseFlags('convert llama2c', rest, LLAMA2C_FLAGS);
    if (flags.help) {
      process.stdout.write(helpText('convert llama2c', SUMMARY, LLAMA2C_FLAGS) + '\n');
      return 0;
    }
    const out = requireString('convert llama2c', flags, 'out');
    const config = convertLlama2c({
      checkpoint: requireString('convert llama2c', flags, 'checkpoint'),
      tokenizer: requireString('convert llama2c', flags, 'tokenizer'),
      out,
      force: flags.force === true,
    });
    process.stdout.write(`wrote ${out}: ${String(config.model_type)} ${String(config.num_hidden_layers)} layers, hidden ${String(config.hidden_size)}, vocab ${String(config.vocab_size)}\n`);
    return 0;
  },
};
