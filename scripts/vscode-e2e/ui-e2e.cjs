// UI end-to-end test in Chromium against code-server: CodeLens → panel → built-in demo task → run → Stop →
// Apply → the file changed → Undo restores it (a TypeScript string), then a Python f-string whose {question}
// must survive, on a dataset whose columns are not named question/answer (mapped in the panel's column mapper),
// with a refused Start shown at the top, sizes checked at the field, and the panel closed and reopened mid-run
// keeping its form; a screenshot per stage under <out-dir>.
// When the worker reports "optimizer not available" the run stages cannot happen: the test then checks that
// this is shown clearly and says SKIP for the rest.
// usage: NODE_PATH=<cache>/tools/node_modules node ui-e2e.cjs <url> <workspace> <extensionDevelopmentPath|-> <out-dir>
//   '-' = test the extension installed in code-server (from the .vsix) instead of the source folder
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { launch, workbenchUrl } = require('./browser.cjs');

const [url, folder, devPath, outDir] = process.argv.slice(2);
const t0 = Date.now();
const log = (...a) => console.log(`[ui ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const RUN_TIMEOUT = Number(process.env.UI_RUN_TIMEOUT_MS || 600000);
// waits for the workbench, a (revived) webview or CodeLenses: on a 2-core machine shared with other test runs these
// took over 60 s (load average ~5), though about 10 s on an idle one
const LOAD_WAIT = Number(process.env.UI_LOAD_WAIT_MS || 180000);

async function palette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Text of the visible lines of the first editor group (Monaco renders spaces as U+00A0). */
async function editorText(page) {
  const lines = await page.locator('.editor-group-container').first().locator('.view-lines .view-line').allInnerTexts();
  return lines.join('\n').replace(/\u00a0/g, ' ');
}

async function until(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const shot = async (page, name) => {
    await page.screenshot({ path: path.join(outDir, name) });
    log('screenshot', name);
  };
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (e) => log('pageerror', e.message));
  try {
    await page.goto(workbenchUrl(url, folder, [...(devPath === '-' ? [] : [['extensionDevelopmentPath', devPath]]), ['skipWelcome', 'true']]));
    await page.locator('.monaco-workbench').waitFor({ timeout: LOAD_WAIT });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'prompts.ts' }).waitFor({ timeout: LOAD_WAIT });
    log('workbench ready');

    // 1. the TypeScript file with its CodeLenses
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('prompts.ts');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'prompts.ts' }).waitFor();
    await page.keyboard.press('Enter');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Optimize prompt' });
    // CodeLenses are re-rendered as the provider refreshes, so wait for the full set rather than count once.
    await until(async () => (await lens.count()) === 5, 'five CodeLenses in prompts.ts', LOAD_WAIT);
    const original = await editorText(page);
    assert.match(original, /You are a careful assistant/);
    await shot(page, '01-codelens.png');

    // 2. click the first lens → the panel, with the prompt and the built-in demo task preselected
    await lens.first().click();
    const wv = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await wv.locator('#title').waitFor({ timeout: LOAD_WAIT });
    assert.strictEqual((await wv.locator('#prompt').inputValue()).trim(), 'You are a careful assistant. Answer the question and explain your reasoning.');
    assert.strictEqual(await wv.locator('#dataset-demo').isChecked(), true);
    await wv.locator('#preview, #preview-error').first().waitFor({ timeout: 120000 });
    await shot(page, '02-panel.png');
    // 2b. "Check on deployment model" starts folded; an endpoint without a URL holds Start; back to None
    assert.strictEqual(await wv.locator('#transfer').evaluate((d) => d.open), false);
    await wv.locator('#transfer summary').click();
    await wv.locator('#transfer-endpoint').check();
    await wv.locator('#transfer-problem').waitFor();
    assert.strictEqual(await wv.locator('#start').isDisabled(), true);
    await wv.locator('#transfer-url').fill('http://localhost:11434/v1');
    await wv.locator('#transfer-endpoint-model').fill('llama3.2:3b');
    await wv.locator('#transfer-problem').waitFor({ state: 'detached' });
    assert.match(await wv.locator('#endpoint-key-state').innerText(), /No API key stored/);
    await shot(page, '02c-deployment-check.png');
    await wv.locator('#transfer-none').check();

    const previewError = (await wv.locator('#preview-error').count()) ? await wv.locator('#preview-error').innerText() : '';
    const tiny = path.join(path.resolve(folder), 'tiny');
    /** The panel's "Dataset file or folder…" through the real (simple) file dialog. */
    const pickDatasetFile = async (frame, file) => {
      await frame.locator('#dataset-file').click();
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 30000 });
      // the simple file dialog fills in the workspace folder asynchronously: type only after it listed it
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'tiny' }).first().waitFor({ timeout: 30000 });
      await input.fill(file);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor();
      assert.strictEqual(await input.inputValue(), file);
      await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use as dataset' }).click();
      await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    };
    if (/optimizer not available/.test(previewError)) {
      // 3'. a worker built without the optimizer: the panel must say so, and Start must fail with the same
      // one-line reason instead of hanging. Any other load failure is a bug (e.g. a file missing from the .vsix).
      assert.match(previewError, /built without src\/greater/, 'the optimizer failed to load');
      await wv.locator('#start').click();
      const err = await wv.locator('#start-error').innerText({ timeout: 120000 });
      assert.match(err, /^optimizer not available/, 'the error names the reason, not the RPC method');
      await shot(page, '03-optimizer-unavailable.png');
      await palette(page, 'GReaTer: Show Runs');
      await page.getByText('No GReaTer runs in this workspace yet.').first().waitFor({ timeout: 30000 });
      await shot(page, '04-runs-view.png');
      log(`SKIP run/stop/apply/undo stages: ${err}`);
      console.log('UI E2E PASS (optimizer not available: setup stages only)');
      return;
    }
    // 2c. budget and engine: a preset fills the sizes, editing one makes it custom (the run below uses paper's other
    // sizes, about the settings' defaults: quick's make steps so fast that Stop re-renders under the click); fp16 on
    // the CPU is refused next to its field (the worker's one line) and Start stays disabled until fp32 again
    await wv.locator('#budget').selectOption('quick');
    const filled = async (preset) => (await wv.locator('#steps').inputValue()) === String(preset.steps)
      && (await wv.locator('#max-new-tokens').inputValue()) === String(preset.maxNewTokens) && (await wv.locator('#train-size').inputValue()) === String(preset.trainSize);
    // the README's budget table (src/worker/protocol's BUDGET_PRESETS; no build of it exists when this runs in CI)
    await until(() => filled({ steps: 20, maxNewTokens: 96, trainSize: 9 }), 'the quick sizes in the fields');
    await wv.locator('#budget').selectOption('paper');
    await until(() => filled({ steps: 125, maxNewTokens: 1024, trainSize: 50 }), 'the paper sizes in the fields');
    await wv.locator('#steps').fill('7');
    await wv.locator('#steps').dispatchEvent('change');
    await until(async () => (await wv.locator('#budget').inputValue()) === 'custom', 'the budget custom after editing a size');
    await wv.locator('#device').selectOption('cpu');
    await wv.locator('#precision').selectOption('fp16');
    await until(async () => /runs on WebGPU only/.test(await wv.locator('#precision-problem').innerText({ timeout: 1000 }).catch(() => '')), 'the fp16 refusal next to the field', LOAD_WAIT);
    assert.ok(await wv.locator('#start').isDisabled(), 'Start stays disabled while the engine choice is refused');
    await wv.locator('#precision-problem').scrollIntoViewIfNeeded();
    await shot(page, '02c-engine-refused.png');
    await wv.locator('#precision').selectOption('fp32');
    await until(async () => (await wv.locator('#precision-problem').count()) === 0 && !(await wv.locator('#start').isDisabled()), 'the refusal gone and Start enabled');

    if (previewError) {
      // the built-in demo is not in this build: pick the tiny random model and task the harness wrote,
      // through the real file dialog and the model field
      log(`demo unavailable (${previewError}); using ${tiny}`);
      await pickDatasetFile(wv, path.join(tiny, 'data.jsonl'));
      await wv.locator('#preview table').waitFor({ timeout: 120000 });
      await wv.locator('#model').fill(path.join(tiny, 'model'));
      for (const [id, v] of [['top-k', '4'], ['top-q', '2'], ['train-size', '3']]) {
        await wv.locator('#' + id).fill(v);
        await wv.locator('#' + id).dispatchEvent('change');
      }
      await shot(page, '02b-dataset-file.png');
    }

    // 3. a short run on the demo model: watch two steps, then Stop (`reopen`: close the panel mid-run and open it
    // again with "Show Optimizer Panel" before stopping; it returns the reopened panel's frame)
    const runThenStop = async (frame, liveShot, reopen = false) => {
      // a run that closes and reopens the panel must still be running after it: many steps (Stop ends it)
      await frame.locator('#steps').fill(previewError || reopen ? '300' : '6');
      await frame.locator('#steps').dispatchEvent('change');
      await frame.locator('#start').click();
      await frame.locator('#step-count', { hasText: /step ([2-9]|\d\d+)\// }).waitFor({ timeout: RUN_TIMEOUT });
      await shot(page, liveShot);
      if (reopen) {
        // middle click closes an editor tab (the palette does not open while the webview has focus)
        await page.locator('.tabs-container .tab', { hasText: 'GReaTer' }).first().click({ button: 'middle' });
        await until(async () => (await page.locator('iframe.webview.ready').count()) === 0, 'the panel closed');
        await palette(page, 'GReaTer: Show Optimizer Panel');
        frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
        await frame.locator('#stop').waitFor({ timeout: LOAD_WAIT });
      }
      await frame.locator('#stop').click();
      await frame.locator('#apply').waitFor({ timeout: RUN_TIMEOUT });
      // Stop ends with the held-out before → after, never "no held-out evaluation"
      assert.match(await frame.locator('#accuracy').innerText({ timeout: RUN_TIMEOUT }), /Held-out accuracy: \d+\.\d% → \d+\.\d%/);
      // and the held-out set example by example (initial vs best)
      assert.match(await frame.locator('#examples summary').first().innerText({ timeout: LOAD_WAIT }), /^Held-out examples: \d+/);
      return frame;
    };
    await runThenStop(wv, '03-live.png');
    const best = (await wv.locator('#best-prompt').innerText()).trim();
    log('best prompt:', JSON.stringify(best));
    assert.match(await wv.locator('#readability').innerText(), /^Readability .*: \d+\.\d → \d+\.\d$/);
    await shot(page, '04-result.png');
    // the top prompts picker: another prompt becomes the one Apply writes, then back to the best
    if ((await wv.locator('#top-prompts input[type=radio]').count()) > 1) {
      const second = (await wv.locator('#top-prompts label').nth(1).innerText()).trim();
      await wv.locator('#top-1').check();
      await until(async () => (await wv.locator('#best-prompt').innerText()).trim() === second, 'the picked prompt shown');
      await shot(page, '04b-top-picked.png');
      await wv.locator('#top-0').check();
      await until(async () => (await wv.locator('#best-prompt').innerText()).trim() === best, 'the best prompt again');
    }

    // 4. Apply → the file holds the best prompt; Ctrl+Z → the original is back
    await wv.locator('#apply').click();
    await wv.locator('#apply-message').waitFor({ timeout: 30000 });
    assert.match(await wv.locator('#apply-message').innerText(), /^Applied to prompts\.ts:4/);
    if (best !== 'You are a careful assistant. Answer the question and explain your reasoning.') {
      const applied = await until(async () => { const t = await editorText(page); return t !== original && t; }, 'the changed file in the editor');
      if (!/['\\\n]/.test(best)) assert.ok(applied.includes(`'${best}'`), 'the editor holds the best prompt');
    } else log('note: the best prompt is the initial one, so Apply wrote the same text');
    await shot(page, '05-applied.png');
    await page.locator('.editor-group-container').first().locator('.view-line').first().click();
    await page.keyboard.press('Control+Z');
    await until(async () => (await editorText(page)) === original, 'the original text after undo');
    await shot(page, '06-undone.png');

    // 5. the panel survives a window reload: revived by its serializer, the result replayed from the run folder
    await palette(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: LOAD_WAIT });
    const revived = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    assert.strictEqual((await revived.locator('#best-prompt').innerText({ timeout: LOAD_WAIT })).trim(), best);
    await shot(page, '07-after-reload.png');

    // 6. the same on a Python f-string, whose {question} placeholder must survive the replacement
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('prompts.py');
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'prompts.py' }).waitFor();
    await page.keyboard.press('Enter');
    const pyLens = page.locator('.codelens-decoration a', { hasText: 'Optimize prompt' });
    await until(async () => (await editorText(page)).includes('def make_prompt') && (await pyLens.count()) === 5, 'the Python file with its five CodeLenses', LOAD_WAIT);
    const pyOriginal = await editorText(page);
    await pyLens.nth(1).click();
    let pv = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await until(async () => /Answer the question below/.test(await pv.locator('#prompt').inputValue()), 'the f-string prompt in the panel', LOAD_WAIT);
    assert.strictEqual(await pv.locator('#apply').count(), 0, 'a new prompt starts from a clean run view');

    // 6a. a cancelled file dialog leaves the radio on the dataset the form has
    const wasDemo = await pv.locator('#dataset-demo').isChecked();
    await pv.locator('#dataset-file').click();
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 30000 });
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    if (wasDemo) await until(async () => pv.locator('#dataset-demo').isChecked(), 'the demo radio checked again after the cancelled dialog');

    // 6b. a dataset whose columns are not question/answer: the column mapper lists the file's own keys
    await pickDatasetFile(pv, path.join(tiny, 'odd.jsonl'));
    assert.match(await pv.locator('#mapping-needed').innerText({ timeout: 120000 }), /Choose which column holds the question/);
    const options = await pv.locator('#question-field option').allInnerTexts();
    assert.deepStrictEqual(options.slice(1), ['id', 'problem', 'solution'], 'the dropdown lists this file\'s keys');
    await shot(page, '08a-column-mapper.png');
    assert.strictEqual(await pv.locator('#start').isDisabled(), true, 'Start waits for the mapping');
    await pv.locator('#question-field').selectOption('problem');
    await pv.locator('#answer-field').selectOption('solution');
    await until(async () => (await pv.locator('#mapping-needed').count()) === 0 && (await pv.locator('#preview table').count()) === 1, 'the mapped preview');
    assert.match(await pv.locator('#preview').innerText(), /40 examples/);
    if (previewError) await pv.locator('#model').fill(path.join(tiny, 'model'));

    // 6c. sizes are checked before Start, next to the field
    await pv.locator('#train-size').fill('500');
    await pv.locator('#train-size').dispatchEvent('change');
    // the form re-renders after the change; the default size's message may still be there for a moment
    await until(async () => /Train size 500 is too large for this dataset of 40 examples: use at most 39/.test(await pv.locator('#train-size-problem').innerText()), 'the size problem for 500 next to the field');
    assert.strictEqual(await pv.locator('#start').isDisabled(), true);
    await shot(page, '08b-size-checked.png');
    for (const [id, v] of [['train-size', '3'], ['top-k', '4'], ['top-q', '2']]) {
      await pv.locator('#' + id).fill(v);
      await pv.locator('#' + id).dispatchEvent('change');
    }

    // 6d. a Start the worker refuses is shown at the top of the panel, in view
    const model = await pv.locator('#model').inputValue();
    await pv.locator('#model').fill(path.join(tiny, 'no-such-model'));
    await pv.locator('#start').click();
    assert.match(await pv.locator('#start-error').innerText({ timeout: 120000 }), /no-such-model/);
    assert.doesNotMatch(await pv.locator('#start-error').innerText(), /^run\/start:/);
    const inView = await pv.locator('#start-banner').evaluate((el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; });
    assert.strictEqual(inView, true, 'the refused Start is visible without scrolling');
    await shot(page, '08c-start-refused.png');
    await pv.locator('#model').fill(model);

    pv = await runThenStop(pv, '08-python-live.png', true);
    // the reopened panel kept the run's form: the mapped file, not the built-in demo
    assert.strictEqual(await pv.locator('#dataset-file').isChecked(), true, 'the reopened panel shows the run\'s dataset');
    assert.match(await pv.locator('.path').innerText(), /odd\.jsonl$/);
    assert.strictEqual(await pv.locator('#question-field').inputValue(), 'problem');
    await shot(page, '08d-reopened-after-stop.png');
    await pv.locator('#apply').click();
    await pv.locator('#apply-message').waitFor({ timeout: 30000 });
    assert.match(await pv.locator('#apply-message').innerText(), /^Applied to prompts\.py:\d+/);
    const pyApplied = await until(async () => { const t = await editorText(page); return /return f".*\\nQuestion: \{question\}\\nAnswer:"/.test(t) && t; }, 'the f-string with {question} after Apply');
    log('python after apply:', JSON.stringify(pyApplied.split('\n').find((l) => l.includes('return f"'))));
    await shot(page, '09-python-applied.png');
    await page.locator('.editor-group-container').first().locator('.view-line').first().click();
    await page.keyboard.press('Control+Z');
    await until(async () => (await editorText(page)) === pyOriginal, 'the original Python text after undo');
    await shot(page, '10-python-undone.png');
    console.log('UI E2E PASS');
  } catch (e) {
    await page.screenshot({ path: path.join(outDir, 'failure.png') }).catch(() => {});
    console.error('UI E2E FAIL', e);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
