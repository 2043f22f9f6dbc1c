#!/usr/bin/env bash
# On the GPU host, in the unpacked folder: ./run.sh [bench flags]. Prints webgpu against this host's CPU for
# Qwen2.5-0.5B- and 1.5B-shaped random models within BUDGET_S seconds (default 280; killed 20 s after that).
#   ./run.sh --small          reduced shape, to check the bundle on a slow adapter
#   ./run.sh --shapes 0.5b    one shape;  --devices webgpu   no CPU column
# The random model is written under TMPDIR (up to ~6 GB for 1.5B) and removed at the end, even after a kill.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUDGET=${BUDGET_S:-280}
libs=$(ldconfig -p 2>/dev/null || true)   # read whole: grep -q's early exit would fail the pipe under pipefail
if ! grep -q 'libvulkan\.so\.1 ' <<<"$libs" && [ -f "$HERE/lib/libvulkan.so.1" ]; then
  export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "run.sh: the host has no Vulkan loader; using the bundled libvulkan.so.1"
fi
cat "$HERE/VERSION"
command -v nvidia-smi >/dev/null && nvidia-smi -L || true
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | grep -i json | tr '\n' ' ' | sed 's/^/Vulkan drivers: /;s/$/\n/' || true
# The random models live in a folder of our own, removed even when the time guard kills the run.
work=$(mktemp -d "${TMPDIR:-/tmp}/greater-device-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
TMPDIR=$work timeout --kill-after=10 $((BUDGET + 20)) "$HERE/bin/node" "$HERE/app/device-bench.js" --budget-s "$BUDGET" "$@"
