import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration suites start real servers on loopback; keep each bounded.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
