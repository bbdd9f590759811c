import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Bounds for a stuck test, not speed checks: waits inside tests are generous so a loaded
    // CI machine does not turn into red builds. Speed is measured in bench/.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // e2e suites start real servers and a real discord.js client; two cores do not gain from more.
    maxWorkers: 2,
  },
});
