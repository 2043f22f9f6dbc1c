// Build: tsc compiles src/test/bench to dist/ (tests and the CLI run from there); esbuild bundles the
// VS Code extension, its worker and the webview into out/ (the .vsix ships only out/ and native deps).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as esbuild from 'esbuild';

const release = process.argv.includes('--release');
// --bundles-only: just the esbuild bundles (the VS Code e2e scripts and `vsce package` need nothing else)
if (!process.argv.includes('--bundles-only')) {
  // a module moved into a folder (worker/protocol.ts → worker/protocol/index.ts) must not be shadowed by its
  // old compiled file, which `require('./protocol')` would still find first
  for (const d of ['dist/src', 'dist/test', 'dist/bench']) rmSync(d, { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}

const common = { bundle: true, sourcemap: !release, minify: release, logLevel: 'warning' };
const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'out/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { entryPoints: ['src/worker/main.ts'], outfile: 'out/worker.js', platform: 'node', format: 'cjs', external: ['onnxruntime-node', 'onnxruntime-common'],
    // transformers.js requires sharp at load time; the worker never touches images (see the stub)
    alias: { sharp: './scripts/stubs/sharp.cjs' } },
  // The worker process renders chat templates in a thread of its own, from this file beside out/worker.js.
  { entryPoints: ['src/engine/chat-template-worker.ts'], outfile: 'out/chat-template-worker.js', platform: 'node', format: 'cjs' },
  { entryPoints: ['src/webview/main.ts'], outfile: 'media/webview.js', platform: 'browser', format: 'iife' },
];
for (const e of entries) {
  if (!existsSync(e.entryPoints[0])) continue; // a layer not written yet
  await esbuild.build({ ...common, ...e });
}
