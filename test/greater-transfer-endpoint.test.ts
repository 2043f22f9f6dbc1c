// Transfer to an OpenAI-compatible endpoint, against a real server speaking the chat-completions protocol with
// our engine and the built-in demo model behind it (test/helpers/chat-server.ts). The strong check: the
// endpoint's results equal the in-process transfer evaluation (--eval-model on the same model) example by
// example, both greedy. Then the error paths (one line naming the URL), a failed transfer that keeps the run's
// own result, and the API key never written to the run folder or printed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { builtinDemo } from '../src/demo/builtin';
import { UserError } from '../src/engine';
import { chatComplete, checkBaseUrl, CONTINUE_FIELDS } from '../src/greater/endpoint';
import { evaluateOnEndpoint } from '../src/greater/endpointEvaluation';
import { loadTask } from '../src/greater/tasks';
import type { RunReport } from '../src/greater/report';
import { startChatServer, type ChatServer } from './helpers/chat-server';

const bin = path.resolve(__dirname, '../../bin/greater.js');
const KEY = `sk-greater-test-${randomBytes(6).toString('hex')}`;
const MODEL = 'greater-demo-served';
const RUN_FLAGS = ['--steps', '2', '--train-size', '9', '--held-out', '24', '--evaluate-top', '2', '--seed', '3'];

interface CliResult { code: number; out: string }

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    delete clean.GREATER_EVAL_API_KEY;
    execFile(process.execPath, [bin, 'optimize', ...args], { env: { ...clean, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-transfer-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const readReport = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as RunReport;

/** Every file of a folder as text, for the key check. */
function folderText(dir: string): string {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
    .map((d) => fs.readFileSync(path.join(d.parentPath ?? d.path, d.name), 'utf8')).join('\n');
}

async function rejectsUser(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    for (const re of patterns) assert.match(e.message, re);
    assert.ok(!e.message.includes(KEY), 'the key is not in the message');
    return true;
  });
}

describe('transfer to an OpenAI-compatible endpoint (demo model served by our engine)', () => {
  let server: ChatServer;
  before(async () => { server = await startChatServer({ modelDir: builtinDemo().modelDir, modelName: MODEL, apiKey: KEY }); });
  after(async () => { await server.close(); });

  it('gives exactly the in-process --eval-model results, example by example, and never records the key', async () => {
    const viaEndpoint = path.join(tmp, 'endpoint');
    const inProcess = path.join(tmp, 'local');
    const a = await cli([...RUN_FLAGS, '--out', viaEndpoint, '--eval-endpoint', server.url, '--eval-endpoint-model', MODEL], { GREATER_EVAL_API_KEY: KEY });
    assert.equal(a.code, 0, a.out);
    const b = await cli([...RUN_FLAGS, '--out', inProcess, '--eval-model', builtinDemo().modelDir]);
    assert.equal(b.code, 0, b.out);
    const ep = readReport(viaEndpoint).transfer!;
    const local = readReport(inProcess).transfer!;
    assert.equal(ep.model, MODEL);
    assert.equal(ep.endpoint, server.url);
    const pairs = [[ep.initial, local.initial], ...ep.best.map((e, i) => [e, local.best[i]])];
    assert.equal(pairs.length, 1 + local.best.length);
    for (const [x, y] of pairs) {
      assert.equal(x.prompt, y.prompt, 'both runs optimised to the same prompts');
      assert.equal(x.total, 24);
      assert.equal(x.correct, y.correct, `accuracy of "${x.prompt}"`);
      assert.deepEqual(x.examples.map((e) => [e.index, e.reasoning, e.completion, e.answer, e.correct]), y.examples.map((e) => [e.index, e.reasoning, e.completion, e.answer, e.correct]));
    }
    // not a trivial agreement: the prompts score differently, so a wrong reply somewhere would show
    assert.ok(new Set(pairs.map(([x]) => x.correct)).size > 1, `accuracies ${pairs.map(([x]) => x.correct)}`);
    // two requests per example and prompt, each with the key in the Authorization header only
    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 2 * 24 * pairs.length);
    assert.ok(posts.every((r) => r.headers.authorization === `Bearer ${KEY}` && !r.body.includes(KEY)));
    assert.match(a.out, new RegExp(`transfer initial: \\d+/24 .*\\[${MODEL}\\]`));
    assert.ok(!a.out.includes(KEY), 'the key is not printed');
    assert.ok(!folderText(viaEndpoint).includes(KEY), 'the key is in no file of the run folder');
    assert.match(fs.readFileSync(path.join(viaEndpoint, 'report.md'), 'utf8'), new RegExp(`## Transfer evaluation \\(${MODEL} at ${server.url.replace(/[.]/g, '\\.')}\\)`));
  });

  it('a wrong key ends the transfer check with one line; the run keeps its own held-out result', async () => {
    const dir = path.join(tmp, 'wrong-key');
    const wrong = `${KEY}-wrong`;
    const r = await cli([...RUN_FLAGS, '--steps', '1', '--out', dir, '--eval-endpoint', server.url, '--eval-endpoint-model', MODEL], { GREATER_EVAL_API_KEY: wrong });
    assert.equal(r.code, 0, r.out);
    const report = readReport(dir);
    assert.ok(report.heldOut && report.heldOut.initial.total === 24, 'held-out result kept');
    assert.equal(report.transfer, null);
    assert.match(report.transferError!, /HTTP 401.*refused the API key/);
    assert.match(r.out, /error: transfer check on greater-demo-served at http:\/\/127\.0\.0\.1:\d+\/v1 failed: .*HTTP 401/);
    assert.match(r.out, /held-out accuracy: initial/);
    assert.ok(!r.out.includes(wrong) && !folderText(dir).includes(wrong), 'the key is neither printed nor written');
  });

  it('a second local model that cannot be loaded does not cost the run its result either', async () => {
    const dir = path.join(tmp, 'bad-model');
    const r = await cli([...RUN_FLAGS, '--steps', '1', '--out', dir, '--eval-model', path.join(tmp, 'no-such-model')]);
    assert.equal(r.code, 0, r.out);
    const report = readReport(dir);
    assert.equal(report.heldOut?.initial.total, 24);
    assert.equal(report.transfer, null);
    assert.match(report.transferError!, /^transfer check on .*no-such-model failed: model '.*no-such-model' is neither an existing folder/);
    assert.match(fs.readFileSync(path.join(dir, 'report.md'), 'utf8'), /## Transfer evaluation\n\nNot available: transfer check on/);
  });

  it('names the URL and what was expected for 401, 404 (unknown model), bad URL, non-JSON and a timeout', async () => {
    const msgs = [{ role: 'user' as const, content: 'What is 2 + 3?' }];
    const ok = await chatComplete({ baseUrl: server.url, model: MODEL, apiKey: KEY }, msgs, 40);
    assert.ok(ok.content.length > 0);
    await rejectsUser(chatComplete({ baseUrl: server.url, model: MODEL, apiKey: `${KEY}x` }, msgs, 4), /chat\/completions: HTTP 401/, /API key/, /GREATER_EVAL_API_KEY/);
    await rejectsUser(chatComplete({ baseUrl: server.url, model: MODEL }, msgs, 4), /HTTP 401/, /it needs one/);
    await rejectsUser(chatComplete({ baseUrl: server.url, model: 'no-such-model', apiKey: KEY }, msgs, 4), /HTTP 404/, /no-such-model/, /\/v1\/models/);
    // a port nobody listens on
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await rejectsUser(chatComplete({ baseUrl: `http://127.0.0.1:${deadPort}/v1`, model: MODEL }, msgs, 4), new RegExp(`127\\.0\\.0\\.1:${deadPort}/v1/chat/completions: cannot reach`), /ECONNREFUSED/);
    // an HTML page where the API should be, and a server that never answers
    const odd = http.createServer((req, res) => {
      if (req.url?.startsWith('/html')) { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><p>hello</p>'); }
      // /slow: never answers
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      await rejectsUser(chatComplete({ baseUrl: `${base}/html`, model: MODEL }, msgs, 4), /html\/chat\/completions: the reply is not JSON/, /doctype/);
      await rejectsUser(chatComplete({ baseUrl: `${base}/slow`, model: MODEL, timeoutMs: 300 }, msgs, 4), /slow\/chat\/completions: no reply within 0\.3 s/);
    } finally {
      odd.closeAllConnections();
      await new Promise<void>((r) => odd.close(() => r()));
    }
    assert.throws(() => checkBaseUrl('localhost:11434'), /expected an http:\/\/ or https:\/\/ base URL/);
    assert.throws(() => checkBaseUrl('http://me:pw@localhost:1/v1'), /remove the credentials from the URL/);
  });

  it('refuses a half-given endpoint before any work', async () => {
    const r = await cli(['--steps', '1', '--out', path.join(tmp, 'half'), '--eval-endpoint', server.url]);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /--eval-endpoint http:\S+ needs --eval-endpoint-model NAME/);
    assert.ok(!fs.existsSync(path.join(tmp, 'half')));
  });
});

describe('servers that continue an assistant message only when asked (vLLM), or that refuse unknown fields', () => {
  const demo = builtinDemo();
  const servers: Partial<Record<'prefill' | 'vllm' | 'strict', ChatServer>> = {};
  before(async () => {
    for (const dialect of ['prefill', 'vllm', 'strict'] as const) servers[dialect] = await startChatServer({ modelDir: demo.modelDir, modelName: MODEL, dialect });
  });
  after(async () => { for (const s of Object.values(servers)) await s?.close(); });
  const task = loadTask(demo.heldOutFile);
  const opts = { template: demo.promptTemplate, joiner: demo.reasoningJoiner, extractor: task.extractor, maxNewTokens: 96, answerTokens: 8 };
  const examples = task.examples.slice(0, 6);
  const evaluate = (s: ChatServer) => evaluateOnEndpoint({ baseUrl: s.url, model: MODEL }, examples, demo.goodPrompt, opts, () => {});

  it('vLLM continues the answer when asked with continue_final_message: the same results as llama.cpp-style prefill', async () => {
    const want = await evaluate(servers.prefill!);
    const got = await evaluate(servers.vllm!);
    assert.deepEqual(got.examples.map((e) => [e.completion, e.answer, e.correct]), want.examples.map((e) => [e.completion, e.answer, e.correct]));
    assert.ok(want.correct > 0, 'the good prompt answers some questions');
    const answers = servers.vllm!.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((b) => (b.messages as { role: string }[]).at(-1)?.role === 'assistant');
    assert.equal(answers.length, examples.length);
    assert.ok(answers.every((b) => b.continue_final_message === true && b.add_generation_prompt === false));
    // without the fields the same server starts a new turn, and the answers are not the continued ones
    const lead = want.examples[0].reasoning + opts.joiner + opts.extractor.text;
    const res = await fetch(`${servers.vllm!.url}/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, max_tokens: 8, temperature: 0, messages: [{ role: 'user', content: examples[0].question }, { role: 'assistant', content: lead }] }),
    });
    const plain = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content;
    const asked = await chatComplete({ baseUrl: servers.vllm!.url, model: MODEL }, [{ role: 'user', content: examples[0].question }, { role: 'assistant', content: lead }], 8);
    assert.notEqual(plain, asked.content, 'a new turn differs from the continuation');
  });

  it('a server that refuses unknown fields (HTTP 400) is asked again without them, once, and then never sent them', async () => {
    const s = servers.strict!;
    const r = await evaluate(s);
    assert.equal(r.total, examples.length);
    const posts = s.requests.filter((q) => q.method === 'POST').map((q) => JSON.parse(q.body) as Record<string, unknown>);
    const withFields = posts.filter((b) => Object.keys(CONTINUE_FIELDS).some((k) => k in b));
    assert.equal(withFields.length, 1, 'one refused request');
    assert.equal(posts.length, 2 * examples.length + 1);
  });
});
