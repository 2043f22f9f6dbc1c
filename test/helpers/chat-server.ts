// A small OpenAI-compatible chat-completions server on 127.0.0.1 with a real model behind it: our engine,
// greedy. POST /v1/chat/completions {model, messages, max_tokens} → {choices:[{message:{content}}]}; a last
// message from the assistant is continued as each kind of server does it (`dialect`): 'prefill' always (llama.cpp
// server, Ollama), 'vllm' only with continue_final_message and add_generation_prompt: false (else a new turn
// follows it), 'strict' never, and unknown request fields are refused with HTTP 400 (the OpenAI API). GET
// /v1/models lists the one model. Wrong key → 401, unknown model → 404, as real servers answer.
// To try it by hand: scripts/chat-server.mjs (no main here: `node --test dist/test/` loads every file under it).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from '../../src/engine';
import { loadModel } from '../../src/greater/setup';
import type { ModelPort } from '../../src/greater/model';

export interface ChatServerOptions {
  modelDir: string;
  /** the name clients must send as `model` */
  modelName: string;
  /** when set, requests need `Authorization: Bearer <apiKey>` */
  apiKey?: string;
  port?: number;
  /** how a final assistant message is treated (default 'prefill') */
  dialect?: 'prefill' | 'vllm' | 'strict';
}

const OPENAI_FIELDS = new Set(['model', 'messages', 'max_tokens', 'temperature', 'stream']);

export interface ChatServer {
  /** base URL, ending in /v1 */
  url: string;
  /** every request as received: method, path, headers and body text */
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** The prompt's token ids as the model's chat template renders the messages; with `prefill` a final assistant message is left open. */
export function chatPromptIds(m: ModelPort, messages: readonly ChatMessage[], continueFinal = true): number[] {
  const last = messages[messages.length - 1];
  const prefill = continueFinal && last?.role === 'assistant';
  const text = prefill
    ? m.chatTemplate(messages.slice(0, -1), { addGenerationPrompt: true }) + last.content
    : m.chatTemplate([...messages], { addGenerationPrompt: true });
  const ids = m.encode(text, { addSpecialTokens: true });
  // a template that writes BOS itself plus a tokenizer that adds one: keep a single BOS
  return ids.length > 1 && ids[0] === ids[1] && m.tokenizer.specialIds.has(ids[0]) ? ids.slice(1) : ids;
}

export async function startChatServer(opts: ChatServerOptions): Promise<ChatServer> {
  const { model } = await loadModel({ model: opts.modelDir, skipMemoryCheck: true });
  const requests: ChatServer['requests'] = [];
  let queue: Promise<unknown> = Promise.resolve(); // one generation at a time
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, message: string, code: string) => send(res, status, { error: { message, type: 'invalid_request_error', code } });

  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        error(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
        return;
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        send(res, 200, { object: 'list', data: [{ id: opts.modelName, object: 'model', owned_by: 'greater' }] });
        return;
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
        error(res, 404, `no route ${req.method} ${url.pathname}`, 'not_found');
        return;
      }
      let p: { model?: unknown; messages?: unknown; max_tokens?: unknown; continue_final_message?: unknown; add_generation_prompt?: unknown };
      try {
        p = JSON.parse(body) as typeof p;
      } catch {
        error(res, 400, 'the body is not JSON', 'invalid_json');
        return;
      }
      const dialect = opts.dialect ?? 'prefill';
      const unknown = Object.keys(p).filter((k) => !OPENAI_FIELDS.has(k));
      if (dialect === 'strict' && unknown.length) {
        error(res, 400, `Unrecognized request argument supplied: ${unknown.join(', ')}`, 'invalid_request_error');
        return;
      }
      if (dialect === 'vllm' && p.continue_final_message === true && p.add_generation_prompt !== false) {
        error(res, 400, 'continue_final_message and add_generation_prompt cannot both be true', 'invalid_request_error');
        return;
      }
      const continueFinal = dialect === 'prefill' || (dialect === 'vllm' && p.continue_final_message === true);
      if (p.model !== opts.modelName) {
        error(res, 404, `The model \`${String(p.model)}\` does not exist.`, 'model_not_found');
        return;
      }
      const messages = p.messages as ChatMessage[];
      if (!Array.isArray(messages) || !messages.every((x) => typeof x?.role === 'string' && typeof x?.content === 'string')) {
        error(res, 400, 'messages must be [{role, content}]', 'invalid_messages');
        return;
      }
      queue = queue.then(async () => {
        const ids = chatPromptIds(model, messages, continueFinal);
        const room = model.config.maxPositions - ids.length;
        const want = typeof p.max_tokens === 'number' ? p.max_tokens : room;
        const [g] = room > 0 ? await model.generate([ids], { maxNewTokens: Math.max(0, Math.min(want, room)) }) : [{ ids: [], finish: 'length' as const }];
        send(res, 200, {
          id: `chatcmpl-${requests.length}`, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: opts.modelName,
          choices: [{ index: 0, message: { role: 'assistant', content: model.decode(g.ids, { skipSpecialTokens: true }) }, finish_reason: g.finish }],
          usage: { prompt_tokens: ids.length, completion_tokens: g.ids.length, total_tokens: ids.length + g.ids.length },
        });
      }).catch((e: Error) => error(res, 500, e.message, 'server_error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.catch(() => undefined);
      await model.dispose();
    },
  };
}
