// WebGPU tests run on whatever adapter Vulkan offers; on a machine without a GPU that is Mesa's lavapipe
// (scripts/lavapipe/setup.sh installs it; CI runs it). Without an adapter they skip with the reason, except
// under CI=true, where a missing adapter is a failure: CI must really test the GPU path.
import * as fs from 'node:fs';
import { resolveDevice, softwareOnlyReason } from '../../src/engine/runtime/session';

export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';

/**
 * Call before the first WebGPU session of the process (Vulkan reads its driver list once). Points Vulkan at
 * lavapipe when this machine has no GPU and no driver list was chosen; returns why WebGPU tests must skip, or null.
 */
export async function webgpuSkipReason(): Promise<string | null> {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && softwareOnlyReason() !== null && fs.existsSync(LAVAPIPE_ICD)) {
    process.env.VK_ICD_FILENAMES = LAVAPIPE_ICD;
  }
  let reason: string | null = null;
  try {
    await resolveDevice('webgpu');
  } catch (e) {
    reason = `no WebGPU adapter here (${(e as Error).message}); scripts/lavapipe/setup.sh installs a software one`;
  }
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but ${reason}`);
  if (reason) console.log(`# skipping WebGPU tests: ${reason}`);
  return reason;
}
