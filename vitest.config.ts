import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the sources, never a build that may be stale: 'stylize-video' is src/index.ts.
// What runs outside vitest (the command line, the inference child processes, which inherit the
// test process's execArgv) runs the same sources through test/loader, a Node module hook.
export default defineConfig({
  resolve: { alias: { 'stylize-video': fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    execArgv: ['--import', fileURLToPath(new URL('./test/loader/register.mjs', import.meta.url))],
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    // A test that cannot run here (the Slurm one, without Slurm) is skipped with its reason, printed last.
    reporters: ['default', './test/helpers/skip-reasons.ts'],
  },
});
