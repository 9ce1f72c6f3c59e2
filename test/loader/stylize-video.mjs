#!/usr/bin/env node
// bin/stylize-video.js, run from the sources (src/cli.ts) rather than dist/: the command line the tests run.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

register('./hooks.mjs', import.meta.url);
// The inference child processes are forked with this process's execArgv: they need the loader too.
process.execArgv.push('--import', fileURLToPath(new URL('./register.mjs', import.meta.url)));
const { main } = await import('../../src/cli.ts');
process.exitCode = await main();
