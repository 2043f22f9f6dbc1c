// An OpenAI-compatible chat-completions endpoint (Ollama, LM Studio, llama.cpp server, vLLM) as a transfer
// target: POST <baseUrl>/chat/completions with {model, messages, max_tokens, temperature: 0} and read
// choices[0].message.content. A final assistant message is to be continued (assistant prefill): llama.cpp server
// and Ollama do that by themselves, vLLM only when asked with continue_final_message (sent, and dropped for good
// for a server that refuses unknown fields with HTTP 400). Every failure is one UserError line naming the URL and
// what was expected. The API key is sent only in the Authorization header and is cut out of any text that could
// leave this module.
import { UserError } from '../engine';

/** Where to send prompts; `apiKey` never goes to run.json, events, reports or logs. */
export interface EndpointTarget {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per request; default DEFAULT_ENDPOINT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** What a run folder may record about the target. */
export type EndpointRef = Pick<EndpointTarget, 'baseUrl' | 'model'>;

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatReply {
  content: string;
  /** the server's finish_reason ('stop', 'length', …) when it gives one */
  finishReason?: string;
}

/** The environment variable the CLI and the VS Code worker read the endpoint's API key from. */
export const EVAL_API_KEY_ENV = 'GREATER_EVAL_API_KEY' as const;

export const DEFAULT_ENDPOINT_TIMEOUT_MS = 120_000;

/** The base URL checked: http(s), no credentials in it (they would end up in run.json), no trailing slash. */
export function checkBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new UserError(`endpoint ${JSON.stringify(raw)}: not a URL; expected a base URL such as http://localhost:11434/v1`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UserError(`endpoint ${raw}: expected an http:// or https:// base URL such as http://localhost:11434/v1, got ${u.protocol}`);
  }
  if (u.username || u.password) {
    throw new UserError(`endpoint ${u.origin}: remove the credentials from the URL; give the API key through ${EVAL_API_KEY_ENV} (CLI) or "GReaTer: Set Endpoint API Key" (VS Code)`);
  }
  return u.toString().replace(/\/+$/, '');
}

export function completionsUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/chat/completions') ? base : `${base}/chat/completions`;
}

/** vLLM's request fields that make it continue a final assistant message instead of starting a new turn. */
export const CONTINUE_FIELDS = { continue_final_message: true, add_generation_prompt: false } as const;

/** Completion URLs whose server answered HTTP 400 to CONTINUE_FIELDS (strict servers reject unknown fields). */
const refusesContinueFields = new Set<string>();

/** One chat completion, greedy (temperature 0). `signal` aborts it (a stopped run). */
export async function chatComplete(target: EndpointTarget, messages: readonly ChatTurn[], maxTokens: number, signal?: AbortSignal): Promise<ChatReply> {
  const url = completionsUrl(target.baseUrl);
  const askToContinue = messages[messages.length - 1]?.role === 'assistant' && !refusesContinueFields.has(url);
  const body = { model: target.model, messages, max_tokens: maxTokens, temperature: 0, stream: false };
  if (!askToContinue) return complete(target, url, body, signal);
  try {
    return await complete(target, url, { ...body, ...CONTINUE_FIELDS }, signal);
  } catch (e) {
    if (!(e instanceof UserError) || !/HTTP 400\b/.test(e.message) || !Object.keys(CONTINUE_FIELDS).some((k) => e.message.includes(k))) throw e;
    refusesContinueFields.add(url);
    return complete(target, url, body, signal);
  }
}

async function complete(target: EndpointTarget, url: string, request: Record<string, unknown>, signal?: AbortSignal): Promise<ChatReply> {
  const hide = (s: string) => (target.apiKey ? s.split(target.apiKey).join('***') : s);
  const fail = (what: string): never => { throw new UserError(hide(`endpoint ${url}: ${what}`)); };
  const timeoutMs = target.timeoutMs ?? DEFAULT_ENDPOINT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) },
      body: JSON.stringify(request),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    if (timeout.aborted) fail(`no reply within ${timeoutMs / 1000} s; expected a chat completion (is the model still loading, or the server busy?)`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    fail(`cannot reach the server (${cause?.code ?? cause?.message ?? (e as Error).message}); expected an OpenAI-compatible server listening there (is it running? a base URL such as http://localhost:11434/v1)`);
  }
  let text: string;
  try {
    text = await res!.text();
  } catch (e) {
    if (signal?.aborted) throw e;
    return fail(timeout.aborted ? `the reply did not finish within ${timeoutMs / 1000} s` : `the reply broke off (${(e as Error).message})`);
  }
  const serverSays = () => {
    const m = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] ?? text;
    const flat = m.replace(/\s+/g, ' ').trim();
    return flat ? `: ${flat.length > 160 ? `${flat.slice(0, 159)}…` : flat}` : '';
  };
  if (res!.status === 401 || res!.status === 403) {
    fail(`HTTP ${res!.status}, the server refused the API key${serverSays()}; ${target.apiKey ? 'check the key' : 'it needs one'}: ${EVAL_API_KEY_ENV} (CLI) or "GReaTer: Set Endpoint API Key" (VS Code)`);
  }
  if (res!.status === 404) {
    fail(`HTTP 404${serverSays()}; expected a base URL ending in /v1 and a model name the server knows (got model ${JSON.stringify(target.model)}; its list is at /v1/models)`);
  }
  if (!res!.ok) fail(`HTTP ${res!.status}${serverSays()}; expected a chat completion`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const head = text.replace(/\s+/g, ' ').trim().slice(0, 60);
    fail(`the reply is not JSON (it starts ${JSON.stringify(head)}); expected a chat completion {"choices":[{"message":{"content":…}}]} — is the base URL the server's /v1?`);
  }
  const choice = (body as { choices?: { message?: { content?: unknown }; finish_reason?: unknown }[] }).choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') fail('the reply has no choices[0].message.content string; expected a chat completion {"choices":[{"message":{"content":…}}]}');
  return { content: content as string, ...(typeof choice!.finish_reason === 'string' ? { finishReason: choice!.finish_reason } : {}) };
}
