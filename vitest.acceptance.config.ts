// vitest configuration for `npm run acceptance`: the long runs (soak tests over many seeds) that `npm test` leaves out.

import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  resolve: base.resolve,
  test: {
    globalSetup: base.test?.globalSetup,
    setupFiles: base.test?.setupFiles,
    include: ['test/acceptance/**/*.test.ts'],
    // one file per core (vitest's own default leaves one core idle)
    maxWorkers: Math.max(1, availableParallelism()),
    minWorkers: Math.max(1, availableParallelism()),
    poolOptions: base.test?.poolOptions,
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
  },
});
