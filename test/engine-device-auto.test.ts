// `auto` must not pick a software Vulkan adapter (lavapipe, SwiftShader): it is ~10× slower than the CPU provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { providerError, softwareOnlyReason } from '../src/engine/runtime/session';
import { writeTinyModel } from './helpers/tiny-models';

const fakeFs = (entries: Record<string, string[]>, files: string[] = []) => ({
  exists: (p: string) => files.includes(p),
  list: (d: string) => entries[d] ?? [],
});

test('on Linux, WebGPU counts for auto only with a GPU device node', () => {
  const none = fakeFs({ '/dev': ['null', 'tty', 'nvidiactl'] });
  assert.match(softwareOnlyReason('linux', none.exists, none.list) ?? '', /no GPU device .*--device webgpu/);
  const nv = fakeFs({ '/dev': ['null', 'nvidia0', 'nvidiactl'] });
  assert.equal(softwareOnlyReason('linux', nv.exists, nv.list), null);
  const dri = fakeFs({ '/dev/dri': ['card0', 'renderD128'] });
  assert.equal(softwareOnlyReason('linux', dri.exists, dri.list), null);
  const cardOnly = fakeFs({ '/dev/dri': ['card0'] });
  assert.notEqual(softwareOnlyReason('linux', cardOnly.exists, cardOnly.list), null);
  const wsl = fakeFs({}, ['/dev/dxg']);
  assert.equal(softwareOnlyReason('linux', wsl.exists, wsl.list), null);
});

test('other platforms always let auto probe WebGPU', () => {
  const none = fakeFs({});
  assert.equal(softwareOnlyReason('darwin', none.exists, none.list), null);
  assert.equal(softwareOnlyReason('win32', none.exists, none.list), null);
});

test('provider failures read as one short line, without onnxruntime source paths', () => {
  const webgpu = "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters";
  assert.equal(providerError(webgpu), 'no WebGPU adapter (No supported adapters: no GPU driver for Vulkan, Metal or D3D12 found)');
  assert.equal(providerError('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'), 'the CUDA execution provider is not installed (its libraries are a separate download)');
  const other = providerError('/onnxruntime_src/onnxruntime/core/x.cc:12 Foo::<lambda()> something odd\nsecond line');
  assert.equal(other, 'something odd');
});

test('--device cuda without the CUDA provider: one line on stderr, no onnxruntime log', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'greater-cuda-'));
  try {
    writeTinyModel(dir, 'llama', { seed: 3 });
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../bin/greater.js'), 'generate', '--model', dir, '--ids', '1,2', '--max-new-tokens', '2', '--device', 'cuda'], { encoding: 'utf8' });
    if (r.status === 0) return; // a machine with the CUDA provider installed: nothing to check
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /device 'cuda' is not usable here: .*see README, section "GPU"/);
    assert.doesNotMatch(r.stderr, /onnxruntime_src|\[E:onnxruntime/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
