import { describe, expect, it } from 'vitest';
import { isOriginAllowed } from '#domain/origins.ts';
import { preflightResponse } from '#http/cors.ts';
import { apiEvent, bodyOf } from '../../support/stack.ts';

const preflight = (headers: Record<string, string>) =>
  apiEvent({ method: 'OPTIONS', path: '/v1/p', key: null, headers });

describe('CORS for the collect routes', () => {
  it('grants an origin of the list, echoing it and the headers asked for', () => {
    const result = preflightResponse(
      preflight({
        origin: 'https://www.acme.example',
        'access-control-request-headers': 'authorization, content-type',
      }),
      ['https://www.acme.example'],
    );
    expect(result.statusCode).toBe(204);
    expect(result.headers).toMatchObject({
      'access-control-allow-origin': 'https://www.acme.example',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type',
      vary: 'Origin',
    });
  });

  it('refuses an origin that is not listed with 403 naming the origin, and * only when written', () => {
    const result = preflightResponse(preflight({ origin: 'https://evil.example' }), [
      'https://www.acme.example',
    ]);
    expect(result.statusCode).toBe(403);
    expect(bodyOf<{ error: { message: string } }>(result).error.message).toContain('https://evil.example');
    expect(isOriginAllowed('https://evil.example', ['*'])).toBe(true);
    expect(isOriginAllowed('https://evil.example', [])).toBe(false);
    expect(isOriginAllowed(undefined, ['*'])).toBe(false);
  });

  it('does not echo a header list that is not a plain list of names', () => {
    const result = preflightResponse(
      preflight({
        origin: 'https://www.acme.example',
        'access-control-request-headers': 'x-a\r\nset-cookie: y',
      }),
      ['https://www.acme.example'],
    );
    expect(result.headers?.['access-control-allow-headers']).toBe('authorization, content-type');
  });
});
