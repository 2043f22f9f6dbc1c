#!/usr/bin/env bash
# `npm run test:vscode`: set up (idempotent), build the bundles and the in-host suite, start code-server,
# run the in-host mocha suite, then the Chromium UI test (screenshots in test-results/vscode/); then package
# the .vsix with vsce, install it into a second code-server and run the UI test again against the package
# (screenshots in test-results/vscode-vsix/). SKIP_VSIX=1 skips the packaged run.
# Each suite gets a fresh workspace holding copies of test/extension-fixtures.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/scripts/vscode-e2e"
export VSCODE_E2E_HOME=${VSCODE_E2E_HOME:-$HOME/.cache/greater-vscode-e2e}
export NODE_PATH="$VSCODE_E2E_HOME/tools/node_modules"

"$HERE/setup.sh"
cd "$ROOT"
node scripts/build.mjs --bundles-only
rm -rf out/test-vscode
node node_modules/typescript/bin/tsc -p test/vscode/tsconfig.json

WORK=$(mktemp -d /tmp/greater-vscode-e2e.XXXXXX)
for w in ws-host ws-ui ws-vsix; do
  mkdir -p "$WORK/$w" && cp -r test/extension-fixtures/. "$WORK/$w/"
  node out/test-vscode/test/vscode/make-tiny-task.js "$WORK/$w/tiny"
done
"$HERE/code-server.sh" start "$WORK/state"
cleanup() { "$HERE/code-server.sh" stop "$WORK/state"; "$HERE/code-server.sh" stop "$WORK/state-vsix"; rm -rf "$WORK"; }
trap cleanup EXIT
URL=$(cat "$WORK/state/url")

status=0
node "$HERE/ext-host-tests.cjs" "$URL" "$WORK/ws-host" "$ROOT" "$ROOT/out/test-vscode/test/vscode/suite" || status=1
rm -rf test-results/vscode test-results/vscode-vsix   # screenshots of this run only
mkdir -p test-results/vscode
node "$HERE/ui-e2e.cjs" "$URL" "$WORK/ws-ui" "$ROOT" "$ROOT/test-results/vscode" || status=1
"$HERE/code-server.sh" stop "$WORK/state"

if [ "${SKIP_VSIX:-0}" != 1 ]; then
  # vsce runs vscode:prepublish (release bundles) and packs what .vscodeignore keeps
  VSCE="$VSCODE_E2E_HOME/tools/node_modules/.bin/vsce" node scripts/package-vsix.mjs --out "$WORK/greater.vsix"
  "$HERE/code-server.sh" start "$WORK/state-vsix" "$WORK/greater.vsix"
  node "$HERE/ui-e2e.cjs" "$(cat "$WORK/state-vsix/url")" "$WORK/ws-vsix" - "$ROOT/test-results/vscode-vsix" || status=1
  node scripts/build.mjs --bundles-only   # back to the development bundles (with source maps)
fi
if [ "$status" != 0 ]; then
  for st in state state-vsix; do
    [ -f "$WORK/$st/code-server.log" ] && { echo "--- $st/code-server.log (tail) ---"; tail -n 30 "$WORK/$st/code-server.log"; }
  done
fi
exit $status
