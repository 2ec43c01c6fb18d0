import { randomBytes } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { hashApiKey } from '#adapters/key-store.ts';
import { lambdaEntry } from '#adapters/observability.ts';
import { createPipelineFromEnvironment, type Pipeline } from '#adapters/pipeline.ts';
import { NotFoundError } from '#domain/errors.ts';
import { parseOrThrow } from '#domain/zod-issues.ts';
import { createKeyBodySchema } from '#http/api-schemas.ts';
import { apiKeyAuth, httpErrorHandler } from '#http/middleware.ts';
import { readJsonBody } from '#http/request.ts';
import { jsonResponse } from '#http/responses.ts';
import type { HttpEvent, HttpResult } from '#http/types.ts';

const keyHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-hex-digit hash of a key');

/**
 * API keys (admin scope): `POST /v1/keys {name, scopes, allowedOrigins?}` creates one and shows it once,
 * `GET /v1/keys` lists them (hashes, never keys), `DELETE /v1/keys/{keyHash}` revokes one.
 */
export function createKeysHandler(pipeline: Pipeline) {
  return middy<HttpEvent, HttpResult, Error, Context>(async (event: HttpEvent) => {
    switch (event.routeKey) {
      case 'POST /v1/keys': {
        const body = parseOrThrow(
          createKeyBodySchema,
          readJsonBody(event, { maxBytes: 10_000 }),
          'request body',
        );
        // Write keys end up in web pages: a prefix tells anyone reading one that it is public.
        const prefix = body.scopes.includes('collect') ? 'wk' : 'key';
        const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
        const record = {
          keyHash: hashApiKey(key),
          name: body.name,
          scopes: [...new Set(body.scopes)],
          ...(body.allowedOrigins ? { allowedOrigins: [...new Set(body.allowedOrigins)] } : {}),
          createdAt: new Date().toISOString(),
        };
        // 192 random bits: a stored hash is never met again.
        if (!(await pipeline.keyStore.create(record)))
          throw new Error('a new key collided with a stored one');
        return jsonResponse(201, { key, ...record });
      }
      case 'GET /v1/keys': {
        const keys = await pipeline.keyStore.list();
        keys.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
        return jsonResponse(200, { keys });
      }
      default: {
        const keyHash = parseOrThrow(keyHashSchema, event.pathParameters?.keyHash ?? '', 'key hash', [
          'keyHash',
        ]);
        const revokedAt = new Date().toISOString();
        await pipeline.keyStore.revoke(keyHash, revokedAt).catch((error: Error) => {
          throw error.name === 'ConditionalCheckFailedException'
            ? new NotFoundError(`no key ${keyHash}`)
            : error;
        });
        return jsonResponse(200, { keyHash, revokedAt });
      }
    }
  })
    .use(httpErrorHandler())
    .use(apiKeyAuth({ keyStore: pipeline.keyStore, scopeFor: () => 'admin' }));
}

export const handler = lambdaEntry(async () => createKeysHandler(await createPipelineFromEnvironment()));
