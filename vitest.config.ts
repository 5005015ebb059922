// vitest configuration: tests exercise the tsc-compiled modules (dist/), the same code `ftsim` runs.
//
// Test files import '../src/x.js'; the alias points those imports at dist/src/x.js, because the
// interpreter relies on tsc inlining its `const enum` opcodes (esbuild, vitest's own transform,
// cannot inline them across files, which makes the interpreter several times slower).
// `npm test` compiles first (pretest); the global setup compiles again when run directly.

import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// one test file per core: the tests are CPU-bound simulations, and vitest's default (cores - 1) leaves
// one of two cores idle while the main process only relays results
const workers = Math.max(1, availableParallelism());

export default defineConfig({
  resolve: {
    alias: [{ find: /^((?:\.\.?\/)+)src\/(.*)\.js$/, replacement: '$1dist/src/$2.js' }],
  },
  test: {
    // the tier-2 prototype (bench/jit-proto) runs from dist/bench with its own relative imports of dist/src
    server: { deps: { external: [/\/dist\/bench\//] } },
    globalSetup: ['./test/global-setup.ts'],
    // let each worker's event loop turn between tests (test/setup-yield.ts)
    setupFiles: ['./test/setup-yield.ts'],
    maxWorkers: workers,
    minWorkers: workers,
    // as bin/ftsim.js runs: one V8 background thread per worker (see README, "Tiers")
    poolOptions: { forks: { execArgv: ['--v8-pool-size=1'] } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
    // the long runs: npm run acceptance (vitest.acceptance.config.ts)
    exclude: ['test/acceptance/**', '**/node_modules/**'],
  },
});
