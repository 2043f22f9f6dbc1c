// Typed send/handle helpers over a vscode-jsonrpc MessageConnection, keyed by the method objects of
// protocol.ts, so both ends agree on names and types without repeating string literals.
import type { CancellationToken, Disposable, MessageConnection } from 'vscode-jsonrpc';
import type { NotificationDef, RequestDef } from './index';

export function sendRequest<M extends string, P, R>(
  conn: MessageConnection, def: RequestDef<M, P, R>, params: P, token?: CancellationToken,
): Promise<R> {
  // one object parameter → sent "by name", which is what onRequest below receives
  return token ? conn.sendRequest<R>(def.method, params, token) : conn.sendRequest<R>(def.method, params);
}

/** The handler gets `unknown` params on purpose: whatever arrives over the wire is validated first. */
export function onRequest<M extends string, P, R>(
  conn: MessageConnection, def: RequestDef<M, P, R>,
  handler: (params: unknown, token: CancellationToken) => Promise<R>,
): Disposable {
  return conn.onRequest(def.method, (params: unknown, token: CancellationToken) => handler(params, token));
}

export function sendNotification<M extends string, P>(conn: MessageConnection, def: NotificationDef<M, P>, params: P): Promise<void> {
  return conn.sendNotification(def.method, params);
}

export function onNotification<M extends string, P>(
  conn: MessageConnection, def: NotificationDef<M, P>, handler: (params: P) => void,
): Disposable {
  return conn.onNotification(def.method, (params: P) => handler(params));
}
