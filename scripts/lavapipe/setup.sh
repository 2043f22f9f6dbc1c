#!/usr/bin/env bash
# Mesa's software Vulkan driver (lavapipe) so that onnxruntime's WebGPU provider has an adapter on a machine
# without a GPU: CI runs the WebGPU tests on it. Debian bookworm's own Mesa (22.3) offers no usable adapter;
# bookworm-backports' mesa-vulkan-drivers (25.x) does, so that one package comes from backports (the suite is
# added with its default priority, 100: nothing else is taken from it unless asked for with -t).
# Idempotent: does nothing when a lavapipe ICD from Mesa >= 25 is already installed. Not on Debian bookworm, or
# without root or sudo: prints what to install and exits 0 (the WebGPU tests then skip with a reason, except
# under CI=true, where they fail).
# usage: scripts/lavapipe/setup.sh      SKIP_APT=1: never call apt-get;  DRY_RUN=1: print the commands instead
set -euo pipefail
ICD=${LAVAPIPE_ICD:-/usr/share/vulkan/icd.d/lvp_icd.json}
SOURCES=${LAVAPIPE_SOURCES:-/etc/apt/sources.list.d/greater-bookworm-backports.sources}
installed=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
major=${installed#*:}; major=${major%%.*}
if [ -f "$ICD" ] && [ "${major:-0}" -ge 25 ] 2>/dev/null; then
  echo "lavapipe: mesa-vulkan-drivers $installed already installed ($ICD)"
  exit 0
fi
codename=$( . /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-unknown}")
as_root=()
[ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && as_root=(sudo -n); }
if [ "${SKIP_APT:-0}" = 1 ] || [ "$codename" != bookworm ] || ! command -v apt-get >/dev/null \
   || { [ "$(id -u)" != 0 ] && [ ${#as_root[@]} = 0 ]; }; then
  echo "lavapipe: not installing (system '$codename', uid $(id -u), SKIP_APT=${SKIP_APT:-0}); install Mesa >= 25's mesa-vulkan-drivers to run the WebGPU tests without a GPU"
  exit 0
fi
run() { if [ "${DRY_RUN:-0}" = 1 ]; then echo "+ $*"; else "$@"; fi; }
if [ ! -f "$SOURCES" ]; then
  src='# Added by greater'"'"'s scripts/lavapipe/setup.sh for mesa-vulkan-drivers (lavapipe) only.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
  if [ "${DRY_RUN:-0}" = 1 ]; then echo "+ write $SOURCES:"; echo "$src" | sed 's/^/    /'; else echo "$src" | "${as_root[@]}" tee "$SOURCES" >/dev/null; fi
fi
run "${as_root[@]}" apt-get update -qq
run "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
[ "${DRY_RUN:-0}" = 1 ] || echo "lavapipe: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
