// `greater optimize`: runs GReaTer on a local model and a task file, with a live progress line (or JSON
// event lines), a run folder that is checkpointed every step, and `--resume RUN_DIR`. Ctrl-C once stops
// after the current step keeping the best prompt; twice stops at once (the last checkpoint stays valid).
import type { Command } from '../command';
import { parseFlags, type FlagSpec } from '../args';
import { UserError, parsePrecision, parseQuantize } from '../../engine';
import { ProgressLine } from '../../greater/progress';
import { resumeRun, startRun, type RunCancellation } from '../../greater/run';
import type { RunEvent } from '../../greater/events';
import { EVAL_API_KEY_ENV, type EndpointTarget } from '../../greater/endpoint';
import { CONFIG_FLAGS, TASK_FLAGS, applyBuiltinDemo, configFromFlags, modelAndTask } from '../task-flags';

const FLAGS: FlagSpec = {
  ...TASK_FLAGS,
  ...Object.fromEntries(Object.entries(CONFIG_FLAGS).map(([k, v]) => [k, { kind: v.kind, help: v.help }])),
  budget: { kind: 'string', help: 'quick, standard or paper: preset train/held-out sizes, reasoning length, top-k and steps (README "Budgets"); flags given win' },
  out: { kind: 'string', help: 'run folder (default .greater/runs/<run-id>)' },
  resume: { kind: 'string', help: 'continue the run in this folder from its checkpoint' },
  'eval-model': { kind: 'string', help: 'also evaluate the initial and best prompts on this model (transfer)' },
  'eval-endpoint': { kind: 'string', help: `transfer to an OpenAI-compatible server instead: its base URL (e.g. http://localhost:11434/v1); API key, if any, from $${EVAL_API_KEY_ENV}` },
  'eval-endpoint-model': { kind: 'string', help: 'the model name the endpoint serves (with --eval-endpoint)' },
  'json-events': { kind: 'boolean', help: 'print every event as one JSON line on stdout instead of the progress line' },
};

/** Renders the event stream: JSON lines, or a progress line (carriage return on a terminal). */
export async function consume(events: AsyncIterable<RunEvent>, json: boolean): Promise<RunEvent | undefined> {
  const line = new ProgressLine();
  const tty = process.stderr.isTTY === true;
  let last: RunEvent | undefined;
  let runDir: string | undefined;
  try {
    for await (const e of events) await show(e);
  } catch (e) {
    // whatever stopped the run mid-way, its folder holds the last checkpoint: say how to go on
    const msg = String((e as Error).message ?? e);
    if (!runDir || msg.includes('--resume')) throw e;
    throw new UserError(`${msg}; the run so far is kept: 'greater optimize --resume ${runDir}${/GPU|--device cpu/.test(msg) ? ' --device cpu' : ''}' continues`);
  }
  if (tty && !json) process.stderr.write('\n');
  return last;

  async function show(e: RunEvent): Promise<void> {
    last = e;
    if (e.kind === 'run-started') runDir = e.runDir;
    if (json) { process.stdout.write(JSON.stringify(e) + '\n'); return; }
    if (e.kind === 'log') process.stderr.write(`${tty ? '\r\x1b[K' : ''}${e.level}: ${e.message}\n`);
    else if (e.kind === 'run-started') process.stderr.write(`run ${e.runId} in ${e.runDir}\n`);
    else if (e.kind === 'evaluation') process.stderr.write(`${tty ? '\r\x1b[K' : ''}${e.transfer !== undefined ? 'transfer' : 'held-out'} ${e.role}: ${e.correct}/${e.total} (${(100 * e.accuracy).toFixed(1)}%) ${e.prompt}\n`);
    if (line.update(e) && (tty || e.kind === 'step')) process.stderr.write(tty ? `\r\x1b[K${line.text()}` : `${line.text()}\n`);
    if (e.kind === 'step' && tty) process.stderr.write(`\r\x1b[Kstep ${e.step}: ${e.score.toFixed(4)} ${e.prompt}\n${line.text()}`);
  }
}

/** Ctrl-C: first → soft (drop the step in flight, keep the best, evaluate it), second → hard. */
export function interruptible(): RunCancellation & { dispose(): void } {
  const soft = new AbortController();
  const hard = new AbortController();
  const onInt = () => {
    if (!soft.signal.aborted) {
      process.stderr.write('\nstopping: the best prompt so far gets its held-out check (Ctrl-C again to stop now; the last checkpoint stays)\n');
      soft.abort('soft');
    } else hard.abort('hard');
  };
  process.on('SIGINT', onInt);
  return { soft: soft.signal, hard: hard.signal, dispose: () => process.off('SIGINT', onInt) };
}

/** The key is never a flag (argv is visible to other users and lands in shell history). */
function endpointKey(): string | undefined {
  return process.env[EVAL_API_KEY_ENV] || undefined;
}

function endpointFlags(flags: Record<string, unknown>): { evalEndpoint?: EndpointTarget } {
  const url = flags['eval-endpoint'];
  const model = flags['eval-endpoint-model'];
  if (typeof url !== 'string') {
    if (typeof model === 'string') throw new UserError('greater optimize: --eval-endpoint-model needs --eval-endpoint URL (the server\'s base URL, e.g. http://localhost:11434/v1)');
    return {};
  }
  if (typeof model !== 'string' || !model.trim()) throw new UserError(`greater optimize: --eval-endpoint ${url} needs --eval-endpoint-model NAME (a model the server lists at /v1/models)`);
  const apiKey = endpointKey();
  return { evalEndpoint: { baseUrl: url, model, ...(apiKey ? { apiKey } : {}) } };
}

export const command: Command = {
  flags: FLAGS,
  summary: 'optimise a prompt with GReaTer on a local model',
  async run(argv: string[]): Promise<number> {
    const flags = parseFlags('optimize', argv, FLAGS);
    const cancel = interruptible();
    try {
      let events: AsyncIterable<RunEvent>;
      if (typeof flags.resume === 'string') {
        // the device and number formats may change on resume (a lost GPU): the run's results do not depend on them
        const allowed = new Set(['resume', 'device', 'quantize', 'precision', 'json-events', 'skip-memory-check']);
        const extra = argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]).filter((n) => !allowed.has(n));
        if (extra.length) throw new UserError(`greater optimize: --resume takes its settings from the run folder; remove --${extra.join(', --')}`);
        events = resumeRun(flags.resume, cancel, {
          device: flags.device as string, evalApiKey: endpointKey(), skipMemoryCheck: flags['skip-memory-check'] === true,
          ...(typeof flags.quantize === 'string' ? { quantize: parseQuantize(flags.quantize) } : {}),
          ...(typeof flags.precision === 'string' ? { precision: parsePrecision(flags.precision) } : {}),
        });
      } else {
        applyBuiltinDemo('optimize', flags);
        events = startRun({
          ...modelAndTask('optimize', flags),
          config: configFromFlags(flags), ...(typeof flags.out === 'string' ? { out: flags.out } : {}),
          ...(typeof flags['eval-model'] === 'string' ? { evalModel: flags['eval-model'] } : {}),
          ...endpointFlags(flags),
        }, cancel);
      }
      const last = await consume(events, flags['json-events'] === true);
      if (last?.kind === 'done' && flags['json-events'] !== true) {
        process.stdout.write(`best prompt: ${last.bestPrompt}\n`);
        if (last.initialAccuracy !== undefined) process.stdout.write(`held-out accuracy: initial ${(100 * last.initialAccuracy).toFixed(1)}% → best ${(100 * last.bestAccuracy!).toFixed(1)}%\n`);
        if (last.reportPath) process.stdout.write(`report: ${last.reportPath}\n`);
      }
      return last?.kind === 'done' && last.reason === 'cancelled' ? 130 : 0;
    } finally {
      cancel.dispose();
    }
  },
};
