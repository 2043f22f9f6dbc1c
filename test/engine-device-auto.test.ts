// `auto` must not pick a software Vulkan adapter (lavapipe, SwiftShader): it is ~10× slower than the CPU provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { providerError, softwareOnlyReason } from '../src/engine/runtime/session';
import { gpuName } from '../src/engine/runtime/gpu-name';
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

test('the GPU auto picked is named from what the OS reports', () => {
  const machine = (files: Record<string, string>, cmd: string | null = null) => ({
    read: (f: string) => files[f] ?? null,
    list: (d: string) => [...new Set(Object.keys(files).filter((f) => f.startsWith(d + '/')).map((f) => f.slice(d.length + 1).split('/')[0]))],
    command: () => cmd,
  });
  const h200 = machine({ '/proc/driver/nvidia/gpus/0000:17:00.0/information': 'Model: \t\t NVIDIA H200\nIRQ:   \t\t 95\n' });
  assert.equal(gpuName('linux', h200), 'NVIDIA H200');
  const two = machine({
    '/proc/driver/nvidia/gpus/0000:b1:00.0/information': 'Model: \t\t NVIDIA A10\n',
    '/proc/driver/nvidia/gpus/0000:17:00.0/information': 'Model: \t\t NVIDIA L4\n',
  });
  assert.equal(gpuName('linux', two), 'NVIDIA L4 (1 of 2)', 'the first bus, as the drivers enumerate');
  const amd = machine({
    '/sys/class/drm/card0/device/vendor': '0x8086\n',
    '/sys/class/drm/renderD129/device/vendor': '0x8086\n',
    '/sys/class/drm/renderD128/device/vendor': '0x1002\n',
    '/sys/class/drm/renderD128/device/device': '0x744c\n',
    '/sys/class/drm/renderD128/device/uevent': 'DRIVER=amdgpu\nPCI_ID=1002:744C\n',
  });
  assert.equal(gpuName('linux', amd), 'AMD GPU 1002:744c (amdgpu, renderD128)');
  assert.equal(gpuName('linux', machine({ '/dev/dxg': '' })), 'WSL GPU (/dev/dxg)');
  assert.equal(gpuName('linux', machine({})), null);
  assert.equal(gpuName('darwin', machine({}, 'Apple M2 Pro')), 'Apple M2 Pro GPU (Metal)');
  assert.equal(gpuName('win32', machine({})), 'Direct3D 12 GPU');
});
