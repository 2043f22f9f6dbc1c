// Bundles bench/device.ts (and the chat-template worker it starts) into OUT_DIR for scripts/device/pack.sh:
// every JS dependency inlined except onnxruntime-node (a native addon, shipped beside it); sharp stubbed as in
// the worker bundle. usage: node scripts/device/bundle.mjs OUT_DIR
import { build } from 'esbuild';
import * as path from 'node:path';

const out = process.argv[2];
if (!out) throw new Error('usage: node scripts/device/bundle.mjs OUT_DIR');
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, logLevel: 'warning' };
await build({ ...common, entryPoints: ['bench/device.ts'], outfile: path.join(out, 'device-bench.js'), external: ['onnxruntime-node', 'onnxruntime-common'], alias: { sharp: './scripts/stubs/sharp.cjs' } });
await build({ ...common, entryPoints: ['src/engine/chat-template-worker.ts'], outfile: path.join(out, 'chat-template-worker.js') });
