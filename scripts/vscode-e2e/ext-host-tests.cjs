// Runs the mocha suite INSIDE code-server's real extension host through VS Code's web integration-test
// protocol: the workbench reports logs via window.codeAutomationLog and the result via codeAutomationExit.
// usage: node ext-host-tests.cjs <url> <workspace> <extensionDevelopmentPath> <extensionTestsPath>
const { launch, workbenchUrl } = require('./browser.cjs');

const [url, folder, devPath, testsPath] = process.argv.slice(2);
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 900000);

(async () => {
  const t0 = Date.now();
  const browser = await launch();
  let code = 'timeout';
  try {
    const page = await browser.newPage();
    let finish;
    const finished = new Promise((r) => (finish = r));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const out = type === 'error' ? console.error : console.log;
      out(...(Array.isArray(args) ? args : [args]));
    });
    await page.exposeFunction('codeAutomationExit', (c) => finish(c));
    await page.goto(workbenchUrl(url, folder, [['extensionDevelopmentPath', devPath], ['extensionTestsPath', testsPath], ['skipWelcome', 'true']]));
    code = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  } finally {
    await browser.close();
  }
  console.log(`in-host tests: exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(code === 0 ? 0 : 1);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
