#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
require('../dist/src/cli/main.js').launch(process.argv.slice(2), __filename).then(
  (code) => { process.exitCode = code; },
);
