import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', '{diagnostics,grammar,compiler,stdlib,runtime,cli}/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
