import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Handlers log every request; tests read results, not logs.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
