import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '#http/openapi.ts';
import { ROUTES } from '#http/routes.ts';

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument()));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route the router serves, and nothing else', () => {
    const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('documents the query parameters, the error shape and CSV for the metric routes', () => {
    const paths = openApiDocument().paths as Record<
      string,
      Record<
        string,
        {
          parameters: Array<{ name: string }>;
          responses: Record<string, { content: Record<string, unknown> }>;
        }
      >
    >;
    const share = paths['/v1/metrics/channel-share']?.get;
    expect(share?.parameters.map((p) => p.name)).toEqual(['from', 'to', 'format', 'basis']);
    expect(Object.keys(share?.responses['200']?.content ?? {})).toEqual(['application/json', 'text/csv']);
    expect(JSON.stringify(share?.responses['400'])).toContain('issues');
    const events = paths['/v1/events']?.post as unknown as { requestBody: unknown };
    // The request schema is the one that validates events: every event type is in it.
    for (const type of [
      'ad_impression',
      'ad_click',
      'search',
      'page_view',
      'email',
      'conversion',
      'identify',
    ]) {
      expect(JSON.stringify(events.requestBody)).toContain(`"${type}"`);
    }
  });

  it('marks as required exactly what the routes refuse to go without', () => {
    const doc = openApiDocument() as {
      paths: Record<
        string,
        Record<
          string,
          { parameters: Array<{ name: string; required: boolean }>; requestBody?: { required: boolean } }
        >
      >;
      components?: unknown;
    };
    const series = doc.paths['/v1/metrics/series']?.get;
    expect(series?.parameters.filter((p) => p.required).map((p) => p.name)).toEqual(['metric']);
    // A compute without a body runs the scheduled window; a replay needs its range.
    expect(doc.paths['/v1/jobs/compute']?.post?.requestBody?.required).toBe(false);
    expect(doc.paths['/v1/jobs/replay']?.post?.requestBody?.required).toBe(true);
    expect(JSON.stringify(doc.paths['/v1/jobs/{jobId}']?.get)).toContain('"progress"');
  });
});
