// `greater generate`: greedy continuation of a prompt (text, chat-formatted text, or token ids).
// Output: the continuation text; with --json {"ids": [...], "text": "..."} of the generated tokens only.
import { UserError } from '../../engine';
import { modelCommand, parseIdList } from '../model-flags';

export const command = modelCommand({
  name: 'generate',
  summary: 'greedy continuation of a prompt',
  flags: {
    prompt: { kind: 'string', help: 'prompt text (the tokenizer adds its BOS)' },
    ids: { kind: 'string', help: 'prompt as comma-separated token ids' },
    chat: { kind: 'boolean', help: "wrap --prompt in the model's chat template as a user turn" },
    'max-new-tokens': { kind: 'number', help: 'tokens to generate at most', default: 128 },
    json: { kind: 'boolean', help: 'print {"ids": [...], "text": "..."}' },
  },
  check(f) {
    if ((f.prompt === undefined) === (f.ids === undefined)) throw new UserError('give exactly one of --prompt TEXT or --ids 1,2,3');
    if (f.chat && f.prompt === undefined) throw new UserError('--chat needs --prompt');
    const maxNew = Number(f['max-new-tokens']);
    if (!Number.isInteger(maxNew) || maxNew < 0) throw new UserError(`--max-new-tokens expects a non-negative integer, got ${maxNew}`);
    return { maxNew };
  },
  async run(m, { maxNew }, f) {
    let ids: number[];
    if (f.ids !== undefined) ids = parseIdList('ids', String(f.ids));
    else if (f.chat) ids = m.encode(m.chatTemplate([{ role: 'user', content: String(f.prompt) }], { addGenerationPrompt: true }), { addSpecialTokens: false });
    else ids = m.encode(String(f.prompt));
    const [g] = await m.generate([ids], { maxNewTokens: maxNew });
    const text = m.decode(g.ids, { skipSpecialTokens: true });
    process.stdout.write(f.json ? JSON.stringify({ ids: g.ids, text }) + '\n' : text + '\n');
    return 0;
  },
});
