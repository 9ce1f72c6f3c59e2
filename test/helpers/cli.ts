import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Node's `--import` for running the TypeScript sources outside vitest (test/loader). */
export const LOADER = join(import.meta.dirname, '..', 'loader', 'register.mjs');

/**
 * The command line as users run it (bin/stylize-video.js), but from the sources: `node BIN ...`
 * runs src/cli.ts, so no test depends on a build.
 */
export const BIN = join(import.meta.dirname, '..', 'loader', 'stylize-video.mjs');

/** Runs the command line to the end; `env` adds to this process's environment. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
