import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the built package (npm test builds first), as a user imports it: the
// inference workers are loaded from dist/ by URL.
export default defineConfig({
  resolve: { alias: { 'stylize-video': fileURLToPath(new URL('./dist/index.js', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    // A test that cannot run here (the Slurm one, without Slurm) is skipped with its reason, printed last.
    reporters: ['default', './test/helpers/skip-reasons.ts'],
  },
});
