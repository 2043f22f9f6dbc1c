#!/usr/bin/env bash
# Packs the device benchmark for a bare Linux x64 GPU host (a Vulkan driver, no Node, no network) into one
# archive of at most 60 MB: the running Node binary, onnxruntime-node's Linux x64 binaries (CPU + WebGPU; the
# CUDA/TensorRT provider libraries are left out), bench/device.ts bundled with its JS dependencies, the Vulkan
# loader (used only where the host has none) and run.sh. See scripts/device/README.md.
# usage: scripts/device/pack.sh [ARCHIVE]   (default dist/device/greater-device-bench-linux-x64.tar.xz)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=$(realpath -m "${1:-dist/device/greater-device-bench-linux-x64.tar.xz}")
LIMIT_MB=60
ORT=node_modules/onnxruntime-node
[ -f "$ORT/bin/napi-v6/linux/x64/libonnxruntime.so.1" ] || { echo "pack: $ORT/bin/napi-v6/linux/x64 is missing; run npm ci first" >&2; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
P="$STAGE/greater-device-bench"
mkdir -p "$P/bin" "$P/lib" "$P/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64" "$P/app/node_modules/onnxruntime-common/dist"

cp "$(node -p process.execPath)" "$P/bin/node"
node scripts/device/bundle.mjs "$P/app"
cp "$ORT/package.json" "$P/app/node_modules/onnxruntime-node/"
cp -r "$ORT/dist" "$P/app/node_modules/onnxruntime-node/"
cp "$ORT"/bin/napi-v6/linux/x64/{onnxruntime_binding.node,libonnxruntime.so.1} "$P/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/"
cp node_modules/onnxruntime-common/package.json "$P/app/node_modules/onnxruntime-common/"
cp -r node_modules/onnxruntime-common/dist/cjs "$P/app/node_modules/onnxruntime-common/dist/"
find "$P/app/node_modules" \( -name '*.map' -o -name '*.d.ts' \) -delete
# The Vulkan loader (the host's GPU driver brings its own ICD; run.sh uses this copy only when the host has no loader)
vk=$(ldconfig -p 2>/dev/null | awk '/libvulkan\.so\.1 .*x86-64/ && !f {print $NF; f=1}' || true)  # no early exit: SIGPIPE under pipefail
if [ -n "$vk" ]; then cp -L "$vk" "$P/lib/libvulkan.so.1"; else echo "pack: no libvulkan.so.1 here; the archive relies on the host's loader" >&2; fi
cp scripts/device/run.sh scripts/device/README.md "$P/"
cp LICENSE "$P/"
echo "node $("$P/bin/node" --version), onnxruntime-node $(node -p "require('./$ORT/package.json').version"), built $(date -u +%FT%TZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?')" > "$P/VERSION"

mkdir -p "$(dirname "$OUT")"
tar -C "$STAGE" -cf - greater-device-bench | xz -T0 -9e > "$OUT"
mb=$(( $(stat -c %s "$OUT") / 1000000 ))
echo "pack: $OUT ($mb MB; $(du -sm "$P" | cut -f1) MiB unpacked)"
if [ "$mb" -gt "$LIMIT_MB" ]; then echo "pack: archive is $mb MB, over the $LIMIT_MB MB limit" >&2; exit 1; fi
