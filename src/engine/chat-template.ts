// Chat templates are Jinja programs shipped with a model folder, i.e. untrusted code: `range(10**11)` exhausts
// V8's heap and a nested loop never ends. They are rendered in a worker thread with a heap cap, an output cap
// and a time limit, through a synchronous call (the caller blocks on a shared buffer, as tokenizing does).
// A template over a limit gives one clear line; the worker is then replaced.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from './errors';

export interface TemplateLimits {
  timeMs: number;
  /** Largest rendered text, in bytes. */
  outputBytes: number;
  heapMb: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { timeMs: 5_000, outputBytes: 4 * 2 ** 20, heapMb: 256 };

const WORKER_FILE = 'chat-template-worker.js';
const STARTUP_MS = 30_000;

/** dist/src/engine/ (tsc) and out/ (the worker bundle) both hold the worker script beside this module's code. */
function workerScript(): string {
  const f = path.join(__dirname, WORKER_FILE);
  if (!fs.existsSync(f)) throw new Error(`the chat-template worker ${f} is missing; run 'npm run build'`);
  return f;
}

function sizeText(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

export class ChatTemplateSandbox {
  private worker: Worker | null = null;
  private ctrl!: Int32Array;
  private data!: Uint8Array;

  constructor(private readonly source: string, private readonly limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS) {}

  private start(): void {
    const ctrlBuf = new SharedArrayBuffer(8);
    const dataBuf = new SharedArrayBuffer(this.limits.outputBytes);
    this.ctrl = new Int32Array(ctrlBuf);
    this.data = new Uint8Array(dataBuf);
    this.worker = new Worker(workerScript(), {
      workerData: { ctrl: ctrlBuf, data: dataBuf },
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 16 },
      stderr: true, // a heap-limit abort message would otherwise reach the user's terminal
    });
    this.worker.unref(); // an idle renderer must not keep the process alive
    this.worker.on('error', () => {}); // an out-of-memory exit is reported by render() as a limit
    // Start-up (loading the Jinja interpreter) must not count against a template's time limit: on a loaded
    // machine it alone can take longer than a render is allowed.
    Atomics.wait(this.ctrl, 0, 0, STARTUP_MS);
    if (Atomics.load(this.ctrl, 0) !== 3) {
      this.dispose();
      throw new Error(`the chat-template worker did not start within ${STARTUP_MS / 1000} s`);
    }
  }

  /** Renders `template` with `vars`; throws UserError naming `source` when the template fails or exceeds a limit. */
  render(template: string, vars: Record<string, unknown>): string {
    if (!this.worker) this.start();
    Atomics.store(this.ctrl, 0, 0);
    this.worker!.postMessage({ template, vars });
    const waited = Atomics.wait(this.ctrl, 0, 0, this.limits.timeMs);
    const status = Atomics.load(this.ctrl, 0);
    if (waited === 'timed-out' && status === 0) {
      this.dispose();
      throw new UserError(`the chat template of '${this.source}' did not finish within ${this.limits.timeMs / 1000} s or ` +
        `${this.limits.heapMb} MB of memory (a loop or a range too large?); fix chat_template in its tokenizer_config.json or chat_template.jinja`);
    }
    const n = this.ctrl[1];
    if (n < 0) {
      throw new UserError(`the chat template of '${this.source}' rendered ${sizeText(-n)} of text, over the ` +
        `${sizeText(this.limits.outputBytes)} limit; fix chat_template in its tokenizer_config.json or chat_template.jinja`);
    }
    const text = Buffer.from(this.data.subarray(0, n)).toString('utf8'); // a copy: the shared buffer is reused
    if (status === 2) throw new UserError(`the chat template of '${this.source}' rejected the conversation: ${text}`);
    return text;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
