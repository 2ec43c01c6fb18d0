import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleDashboard, generatedModule } from '../../scripts/build-dashboard.ts';

describe('the dashboard bundle', () => {
  it('is up to date with dashboard/app.ts (run npm run build:dashboard after editing it)', async () => {
    const committed = readFileSync('shared/http/dashboard-assets.generated.ts', 'utf8');
    expect(committed === generatedModule(await bundleDashboard())).toBe(true);
  });
});
