import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '{diagnostics,grammar,compiler,stdlib,runtime,cli}/**/*.test.ts'],
    // A guard against a hung test, not a timed assertion.
    testTimeout: 180_000,
    // One worker on a 2-core machine (Vitest's default of cores − 1): two files side by side took the suite from
    // 1,164 s to 983 s but starved the workers' RPC to the main process ("Timeout calling onTaskUpdate", twice).
    pool: 'forks',
  },
});
