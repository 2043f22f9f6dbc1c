// A human name for the GPU that `--device auto` picked. onnxruntime-node does not expose the WebGPU adapter's
// description, so this reads what the operating system says about its GPUs: a best effort, never an error.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The few file-system reads the lookup needs, so tests can describe a machine. */
export interface SystemView {
  read(file: string): string | null;
  list(dir: string): string[];
  /** One line of a small system command's output (macOS `sysctl`), or null. */
  command(cmd: string, args: string[]): string | null;
}

const PCI_VENDORS: Record<string, string> = { '0x10de': 'NVIDIA', '0x1002': 'AMD', '0x8086': 'Intel', '0x1af4': 'virtio', '0x15ad': 'VMware', '0x5143': 'Qualcomm', '0x1414': 'Microsoft' };

/** e.g. "NVIDIA H200", "AMD GPU 1002:744c (amdgpu, renderD128)", "Apple M2 GPU (Metal)"; null when nothing is known. */
export function gpuName(platform: string = process.platform, sys: SystemView = realSystem): string | null {
  if (platform === 'linux') return linuxGpu(sys);
  if (platform === 'darwin') {
    const chip = sys.command('sysctl', ['-n', 'machdep.cpu.brand_string']);
    return chip ? `${chip} GPU (Metal)` : 'Metal GPU';
  }
  if (platform === 'win32') return 'Direct3D 12 GPU';
  return null;
}

function linuxGpu(sys: SystemView): string | null {
  // The NVIDIA driver names its boards ("Model:  NVIDIA H200"); that is the adapter WebGPU and CUDA see first.
  const nvidia = sys.list('/proc/driver/nvidia/gpus').sort();
  for (const bus of nvidia) {
    const info = sys.read(`/proc/driver/nvidia/gpus/${bus}/information`);
    const model = info && /^Model:\s*(.+)$/m.exec(info);
    if (model) return nvidia.length > 1 ? `${model[1].trim()} (1 of ${nvidia.length})` : model[1].trim();
  }
  // Otherwise the PCI ids behind the first render node, and the kernel driver bound to it.
  for (const node of sys.list('/sys/class/drm').filter((n) => n.startsWith('renderD')).sort()) {
    const dev = `/sys/class/drm/${node}/device`;
    const vendor = sys.read(`${dev}/vendor`)?.trim();
    const device = sys.read(`${dev}/device`)?.trim();
    if (!vendor) continue;
    const uevent = sys.read(`${dev}/uevent`) ?? '';
    const driver = /^DRIVER=(.+)$/m.exec(uevent)?.[1]?.trim();
    const id = `${vendor.replace(/^0x/, '')}:${(device ?? '?').replace(/^0x/, '')}`;
    return `${PCI_VENDORS[vendor] ?? 'PCI'} GPU ${id} (${driver ? `${driver}, ` : ''}${node})`;
  }
  if (sys.list('/dev').includes('dxg')) return 'WSL GPU (/dev/dxg)';
  if (nvidia.length) return 'NVIDIA GPU';
  return null;
}

/** Entries of `dir`, or none when it is absent or unreadable (device folders differ between machines). */
export function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

const realSystem: SystemView = {
  read(file) {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  },
  list: listDir,
  command(cmd, args) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 2000 });
    const line = r.status === 0 ? r.stdout.split('\n')[0].trim() : '';
    return line || null;
  },
};
