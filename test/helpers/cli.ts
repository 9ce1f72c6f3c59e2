import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The command line as users run it. */
export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'stylize-video.js');

/** Runs the command line to the end; `env` adds to this process's environment. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
