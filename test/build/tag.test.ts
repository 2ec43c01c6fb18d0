import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TAG_JS } from '#http/tag-asset.generated.ts';
import { bundleTag, generatedModule } from '../../scripts/build-tag.ts';

describe('the tracking tag bundle', () => {
  it('is up to date with tag/tag.ts (run npm run build:tag after editing it)', async () => {
    const committed = readFileSync('shared/http/tag-asset.generated.ts', 'utf8');
    expect(committed === generatedModule(await bundleTag())).toBe(true);
  });

  it('is at most 3 KB gzipped', () => {
    expect(gzipSync(TAG_JS).length).toBeLessThanOrEqual(3072);
  });

  it('is one IIFE that defines no global but window.attribution', () => {
    expect(TAG_JS.startsWith('"use strict";(()=>{')).toBe(true);
    expect(TAG_JS.trimEnd().endsWith('})();')).toBe(true);
  });
});
