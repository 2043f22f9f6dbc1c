// Worker-thread side of the chat-template sandbox (see chat-template.ts): renders one template per request
// and writes the UTF-8 result into the shared buffer, then wakes the blocked caller. Bundled on its own
// (out/chat-template-worker.js) so it needs nothing from node_modules at run time.
import { Template } from '@huggingface/jinja';
import { parentPort, workerData } from 'node:worker_threads';

interface Request {
  template: string;
  vars: Record<string, unknown>;
}

// ctrl[0]: 0 pending, 1 done, 2 error, 3 ready (start-up finished); ctrl[1]: bytes written (or needed, when over the limit).
const ctrl = new Int32Array(workerData.ctrl as SharedArrayBuffer);
const out = new Uint8Array(workerData.data as SharedArrayBuffer);
const compiled = new Map<string, Template>();
const encoder = new TextEncoder();

function reply(status: 1 | 2, text: string): void {
  const bytes = encoder.encode(text);
  if (bytes.length > out.length) {
    ctrl[1] = -bytes.length;
  } else {
    out.set(bytes);
    ctrl[1] = bytes.length;
  }
  Atomics.store(ctrl, 0, status);
  Atomics.notify(ctrl, 0);
}

Atomics.store(ctrl, 0, 3);
Atomics.notify(ctrl, 0);

parentPort!.on('message', (req: Request) => {
  try {
    let t = compiled.get(req.template);
    if (!t) compiled.set(req.template, (t = new Template(req.template)));
    reply(1, t.render(req.vars));
  } catch (e) {
    reply(2, String((e as Error)?.message ?? e));
  }
});
