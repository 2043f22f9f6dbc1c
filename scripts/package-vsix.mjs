// Packages the extension for one platform (default: this machine's), so the .vsix carries only that
// platform's onnxruntime binaries (~20 MB instead of ~110 MB for all five). `--target all` packs every
// platform into one universal .vsix. vsce: VSCE=path/to/vsce, else `npx @vscode/vsce`.
//   node scripts/package-vsix.mjs [--target linux-x64|linux-arm64|win32-x64|win32-arm64|darwin-arm64|all] [--out FILE]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TARGETS = { 'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64', 'darwin-arm64': 'darwin/arm64' };
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const target = arg('--target') ?? `${process.platform}-${process.arch}`;
if (target !== 'all' && !(target in TARGETS)) {
  console.error(`package-vsix: unknown target '${target}'; valid: ${Object.keys(TARGETS).join(', ')}, all`);
  process.exit(2);
}
const version = JSON.parse(fs.readFileSync('package.json', 'utf8')).version;
const out = arg('--out') ?? `greater-prompt-optimizer-${version}${target === 'all' ? '' : '-' + target}.vsix`;
const ignoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'greater-vsix-')), '.vscodeignore');
// vsce lets any `!` pattern win over every exclusion, so the per-platform cut narrows the re-include itself.
const KEEP_ALL = '!node_modules/onnxruntime-node/bin/**';
let ignore = fs.readFileSync('.vscodeignore', 'utf8');
if (!ignore.includes(KEEP_ALL)) throw new Error(`.vscodeignore no longer contains '${KEEP_ALL}'; update scripts/package-vsix.mjs`);
if (target !== 'all') ignore = ignore.replace(KEEP_ALL, `!node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target]}/**`);
fs.writeFileSync(ignoreFile, ignore);
const [cmd, pre] = process.env.VSCE ? [process.env.VSCE, []] : [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', '@vscode/vsce@4.1.0']];
const targetArgs = target === 'all' ? [] : ['--target', target];
execFileSync(cmd, [...pre, 'package', ...targetArgs, '--ignoreFile', ignoreFile, '--out', out], { stdio: 'inherit' });
console.log(`packaged ${out} (${(fs.statSync(out).size / 2 ** 20).toFixed(1)} MiB)`);
