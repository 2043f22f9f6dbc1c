// The same in-host suite on a desktop VS Code downloaded by @vscode/test-electron (needs network access to
// update.code.visualstudio.com, so it is not used in CI here). One-time: `npm i --no-save @vscode/test-electron`.
// usage: node scripts/build.mjs --bundles-only && npx tsc -p test/vscode/tsconfig.json && node scripts/vscode-e2e/desktop.cjs
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { runTests } = require('@vscode/test-electron');

const root = path.resolve(__dirname, '../..');
const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-desktop-'));
fs.cpSync(path.join(root, 'test/extension-fixtures'), ws, { recursive: true });
execFileSync(process.execPath, [path.join(root, 'out/test-vscode/test/vscode/make-tiny-task.js'), path.join(ws, 'tiny')], { stdio: 'inherit' });
runTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: path.join(root, 'out/test-vscode/test/vscode/suite'),
  launchArgs: [ws, '--disable-workspace-trust', '--disable-extensions'],
}).then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
