// A chat template is untrusted code from a model folder: one that allocates without bound, loops forever or
// writes megabytes gives one clear line naming the folder, and the next render works again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTemplateSandbox } from '../src/engine/chat-template';
import { UserError } from '../src/engine';
import { Tokenizer } from '../src/engine/tokenizer';
import { writeTinyModel } from './helpers/tiny-models';

const GOOD = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
const conversation = { messages: [{ role: 'user', content: 'hi' }], add_generation_prompt: true };

function withTemplate(template: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-tpl-'));
  writeTinyModel(dir, 'llama', { seed: 1 });
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, chat_template: template }));
  return dir;
}

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, String(e));
    assert.ok(!e.message.includes('\n'), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a range too large for memory is stopped and named, not a V8 abort of the whole process', async () => {
  const dir = withTemplate('{% for i in range(100000000000) %}x{% endfor %}');
  const tok = await Tokenizer.load(dir);
  rejects(() => tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }),
    new RegExp(`the chat template of '${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' did not finish within 5 s or 256 MB of memory`));
  tok.dispose();
});

test('an endless loop is stopped at the time limit, and the renderer works again after it', () => {
  const box = new ChatTemplateSandbox('model-x', { timeMs: 300, outputBytes: 1 << 20, heapMb: 64 });
  const t0 = Date.now();
  rejects(() => box.render('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', conversation), /'model-x' did not finish within 0\.3 s/);
  assert.ok(Date.now() - t0 < 5_000, 'the caller waited far past the limit');
  assert.equal(box.render(GOOD, conversation), '<user>hi<assistant>');
  box.dispose();
});

test('output over the size limit and a template that raises are one line each', () => {
  const box = new ChatTemplateSandbox('model-y', { timeMs: 5_000, outputBytes: 1024, heapMb: 64 });
  rejects(() => box.render("{% for i in range(5000) %}x{% endfor %}", conversation), /'model-y' rendered 5 KiB of text, over the 1 KiB limit/);
  rejects(() => box.render("{{ raise_exception('no system turn') }}", conversation), /'model-y' rejected the conversation: .*no system turn/);
  assert.equal(box.render(GOOD, conversation), '<user>hi<assistant>');
  box.dispose();
});
