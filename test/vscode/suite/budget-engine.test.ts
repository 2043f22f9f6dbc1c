// In-host tests of the panel's budget and engine choices (issue 17 scope 3, 16.2 / 17.2): what the form sends
// reaches the real worker's run/start and the run's run.json, is remembered for a reopened panel, and a
// combination the engine refuses comes back as its one line, per field.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExtensionApi } from '../../../src/extension/extension';
import type { RunEnded } from '../../../src/extension/runController';
import type { StartRequest } from '../../../src/shared/panelMessages';
import { BUDGET_PRESETS, BUILTIN_DEMO_MODEL, DatasetPreview, EngineCheck, WorkerInfo, type DatasetRef } from '../../../src/worker/protocol';
import { EXTENSION_ID, until, ws } from './helpers';

describe('Panel budget and engine choices through the worker', function () {
  this.timeout(600_000);
  let api: ExtensionApi;
  let task: { model: string; dataset: DatasetRef };

  before(async function () {
    api = await vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID)!.activate();
    const w = await api.worker.request(WorkerInfo, {});
    if (!w.optimizerAvailable) {
      console.log(`    SKIP budget/engine tests: ${w.unavailableReason}`);
      this.skip();
    }
    const demo = await api.worker.request(DatasetPreview, { dataset: { builtin: 'demo' }, rows: 1 }).then(() => true, () => false);
    task = demo ? { model: BUILTIN_DEMO_MODEL, dataset: { builtin: 'demo' } } : { model: ws('tiny/model').fsPath, dataset: { path: ws('tiny/data.jsonl').fsPath } };
  });

  it('a refused combination comes back as the engine\'s one line for its field; an accepted one has none', async () => {
    const refused = await api.worker.request(EngineCheck, { device: 'cpu', quantize: 'none', precision: 'fp16' });
    assert.deepEqual(Object.keys(refused.refusals), ['precision']);
    assert.match(refused.refusals.precision!, /fp16 runs on WebGPU only .*not on cpu/);
    assert.doesNotMatch(refused.refusals.precision!, /\n/, 'one line');
    const fine = await api.worker.request(EngineCheck, { device: 'cpu', quantize: 'int8', precision: 'fp32' });
    assert.deepEqual(fine, { resolvedDevice: 'cpu', refusals: {} });
  });

  it('the chosen budget, quantization and precision reach run/start and run.json, and the run remembers them', async () => {
    const ended: RunEnded[] = [];
    const sub = api.runs.onRunEnded((e) => ended.push(e));
    try {
      // what the form sends for the quick preset with one size edited down (a custom run on quick's other sizes)
      const request: StartRequest = {
        ...task, device: 'cpu', seed: 3, extractor: { preset: 'auto' }, initialPrompt: 'Add the numbers.', topQ: 2,
        ...BUDGET_PRESETS.quick, budget: 'quick', steps: 1, heldOutSize: 6, quantize: 'int8', precision: 'fp32',
      };
      const { runId, runDir } = await api.runs.start(request, undefined);
      const end = await until(() => ended.find((e) => e.runId === runId), 'the end of the run', 300_000);
      assert.equal(end.outcome, 'completed', end.message);
      const meta = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
      assert.equal(meta.quantize, 'int8');
      assert.equal(meta.device, 'cpu');
      const { trainSize, maxNewTokens, topK, steps, heldOutSize } = meta.config;
      assert.deepEqual({ trainSize, maxNewTokens, topK, steps, heldOutSize }, { ...BUDGET_PRESETS.quick, steps: 1, heldOutSize: 6 });
      assert.ok(meta.heldOut.length <= 6 && meta.train.length === BUDGET_PRESETS.quick.trainSize, `${meta.train.length} train / ${meta.heldOut.length} held out`);
      // a reopened panel gets this request back (form restore)
      const remembered = api.runs.requestFor(runId);
      assert.deepEqual([remembered?.budget, remembered?.quantize, remembered?.precision, remembered?.maxNewTokens], ['quick', 'int8', 'fp32', 96]);
    } finally {
      sub.dispose();
    }
  });
});
