import { defineConfig } from 'vitest/config';

// Integration tests start real Dovecot servers: give them time, and run at most
// two files at once (the machine has two cores).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
  },
});
