import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two cores: real sockets and child processes (curl, nghttp, gtlsclient) in every
    // network test, so run at most two files at once to keep timings stable.
    maxWorkers: 2,
  },
});
