// Shared by the two drivers: launch Debian's chromium through playwright-core (resolved via NODE_PATH from
// the e2e cache) and build code-server URLs that load this repo as the extension under development.
const path = require('path');
const { chromium } = require('playwright-core');

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** code-server URL opening `folder` with `payload` entries (extensionDevelopmentPath etc.). */
function workbenchUrl(base, folder, entries) {
  const host = new URL(base).host;
  const remote = (p) => `vscode-remote://${host}${path.resolve(p)}`;
  const payload = entries.map(([k, v]) => [k, k.endsWith('Path') ? remote(v) : v]);
  return `${base}?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

module.exports = { launch, workbenchUrl };
