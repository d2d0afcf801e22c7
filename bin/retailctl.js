#!/usr/bin/env node
'use strict';
// Runs the TypeScript CLI straight from a checkout (no build step): tsx compiles it on the fly.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS launcher registers tsx before loading TypeScript
require('tsx/cjs');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded through tsx, after the line above
const { main } = require('../src/starters/cli/main.ts');

main().then((code) => {
  process.exitCode = code;
  // A connection left behind by a failed call must not keep the terminal waiting.
  setTimeout(() => process.exit(code), 1000).unref();
});
