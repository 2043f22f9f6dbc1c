// Entry loaded by VS Code through extensionTestsPath: runs every *.test.js next to it with mocha and
// rejects on failures (the exit code reaches scripts/vscode-e2e/ext-host-tests.cjs).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000 });
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      if (process.env.GREATER_E2E_RESULT) fs.writeFileSync(process.env.GREATER_E2E_RESULT, JSON.stringify({ failures }));
      if (failures) reject(new Error(`${failures} in-host test(s) failed`));
      else resolve();
    });
  });
}
