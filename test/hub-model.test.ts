// A hub id end to end: `greater generate --model org/name` downloads a real tiny model from a local
// hub-shaped HTTP server into the standard cache (HF_ENDPOINT / HF_HUB_CACHE), then generates exactly
// what the same folder generates locally; a second run works with the server gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startHubServer } from './helpers/hub-server';
import { writeTinyModel } from './helpers/tiny-models';

const run = promisify(execFile);
const bin = path.resolve(__dirname, '../../bin/greater.js');

test('generate from a hub id equals generate from the local folder, and the cache serves it offline', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-hub-model-'));
  try {
    const local = path.join(tmp, 'local');
    writeTinyModel(local, 'qwen2', { seed: 8 });
    const files = Object.fromEntries(fs.readdirSync(local).map((f) => [f, fs.readFileSync(path.join(local, f))]));
    const server = await startHubServer([{ id: 'acme/tiny-qwen', files }]);
    const args = ['generate', '--ids', '5,6,7', '--max-new-tokens', '6', '--json'];
    const env = { ...process.env, HF_ENDPOINT: server.url, HF_HUB_CACHE: path.join(tmp, 'cache'), HF_TOKEN: '' };
    let fromHub: string;
    try {
      fromHub = (await run(process.execPath, [bin, ...args, '--model', 'acme/tiny-qwen'], { env })).stdout;
    } finally {
      await server.close();
    }
    const fromLocal = (await run(process.execPath, [bin, ...args, '--model', local])).stdout;
    assert.equal(fromHub, fromLocal);
    assert.ok(fs.existsSync(path.join(tmp, 'cache', 'models--acme--tiny-qwen', 'snapshots')));
    const offline = (await run(process.execPath, [bin, ...args, '--model', 'acme/tiny-qwen'], { env })).stdout;
    assert.equal(offline, fromLocal);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
