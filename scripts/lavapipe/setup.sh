#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe) so that onnxruntime's WebGPU provider has an adapter on a machine
# without a GPU: CI runs the WebGPU tests on it. Debian bookworm's own Mesa (22.3) offers no usable adapter;
# bookworm-backports' mesa-vulkan-drivers (25.x) does, so that one package comes from backports.
# Idempotent: does nothing when a lavapipe ICD from Mesa >= 25 is already installed. Not on Debian bookworm, or
# without root: prints what to install and exits 0 (the WebGPU tests then skip with a reason, except under CI=true).
set -euo pipefail
ICD=/usr/share/vulkan/icd.d/lvp_icd.json
installed=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
major=${installed#*:}; major=${major%%.*}
if [ -f "$ICD" ] && [ "${major:-0}" -ge 25 ] 2>/dev/null; then
  echo "lavapipe: mesa-vulkan-drivers $installed already installed ($ICD)"
  exit 0
fi
codename=$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-unknown}")
if [ "$codename" != bookworm ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "lavapipe: not installing (system '$codename', uid $(id -u)); install Mesa >= 25's mesa-vulkan-drivers to run the WebGPU tests without a GPU"
  exit 0
fi
cat > /etc/apt/sources.list.d/greater-bookworm-backports.sources <<'SRC'
# Added by greater's scripts/lavapipe/setup.sh for mesa-vulkan-drivers (lavapipe) only.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
echo "lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
