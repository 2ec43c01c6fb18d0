import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Set-up starts embedded servers and runtimes; on a loaded shared machine that can take a minute.
    hookTimeout: 180_000,
    // Handlers log every request; tests read results, not logs.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    // Files, and the tests in each file, run in a random order, so no test can lean on another's data.
    // The seed is printed at the start ("Running tests with seed …"): rerun a failure with
    // `npx vitest run --sequence.seed=<seed>`.
    sequence: { shuffle: true },
  },
});
