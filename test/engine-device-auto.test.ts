// `auto` must not pick a software Vulkan adapter (lavapipe, SwiftShader): it is ~10× slower than the CPU provider.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { softwareOnlyReason } from '../src/engine/runtime/session';

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
