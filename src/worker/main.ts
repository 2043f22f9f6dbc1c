// Entry of the worker process (bundled to out/worker.js, forked by the extension with an IPC channel):
// JSON-RPC over Node IPC, handlers in server.ts, exits with its parent. Logs go to stderr, which the
// extension shows in its LogOutputChannel; stdout is unused (IPC carries the protocol).
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { loadOptimizer } from './optimizer';
import { exitWithParent } from './parentWatch';
import { WorkerServer } from './server';

function log(line: string): void {
  process.stderr.write(`[worker ${process.pid}] ${line}\n`);
}

function main(): void {
  if (!process.send) {
    process.stderr.write('greater worker: must be started by the extension with an IPC channel (child_process.fork)\n');
    process.exit(2);
  }
  const conn = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
  new WorkerServer(conn, { loadService: loadOptimizer, log });
  exitWithParent(process.ppid, (why) => {
    log(`exiting: ${why}`);
    process.exit(0);
  });
  conn.onClose(() => process.exit(0));
  conn.listen();
  log(`ready (node ${process.version}, optimizer ${loadOptimizer ? 'linked' : 'not available'})`);
}

main();
