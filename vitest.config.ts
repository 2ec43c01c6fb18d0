import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Set-up starts embedded servers and runtimes; on a loaded shared machine that can take a minute.
    hookTimeout: 180_000,
    // Vitest's default is one worker per core less one: a single worker here. Most files wait on
    // embedded servers, child processes or Chromium, so two share the two cores well: 577 s → 409 s
    // for the whole suite, measured once each on this machine.
    maxWorkers: 2,
    // Handlers log every request; tests read results, not logs.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
    // Files, and the tests in each file, run in a random order, so no test can lean on another's data.
    // The seed is printed at the start ("Running tests with seed …"): rerun a failure with
    // `npx vitest run --sequence.seed=<seed>`.
    sequence: { shuffle: true },
  },
});
