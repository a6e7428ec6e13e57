import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '{diagnostics,grammar,compiler,stdlib,runtime,cli}/**/*.test.ts'],
    // A guard against a hung test, not a timed assertion: generous, because two test files share a 2-core CI
    // machine (below) and the long fits run a little slower side by side.
    testTimeout: 180_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores, which on CI's 2 cores ran the suite one file at a time
    // (1,164 s); two at a time keeps both cores busy while one file waits on a child process or the GPU queue.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    minWorkers: 1,
  },
});
