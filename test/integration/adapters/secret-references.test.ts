/**
 * The secret reads at cold start, through the real SDK clients, against a stand-in endpoint that
 * speaks the Secrets Manager and SSM JSON protocols (`X-Amz-Target`), reached by the standard
 * `AWS_ENDPOINT_URL_*` variables as the deployed functions would reach AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSecretStrings, resolveSecretReferences } from '#adapters/secret-references.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:mailgun-AbCdEf';
const calls: string[] = [];
let server: Server;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const target = String(request.headers['x-amz-target']);
      const input = JSON.parse(body) as { SecretId?: string; Name?: string; WithDecryption?: boolean };
      calls.push(`${target} ${input.SecretId ?? input.Name}`);
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'secretsmanager.GetSecretValue' && input.SecretId === SECRET_ARN) {
        response.end(
          JSON.stringify({ ARN: SECRET_ARN, Name: 'mailgun', SecretString: 'mailgun-signing-key' }),
        );
      } else if (target === 'AmazonSSM.GetParameter' && input.Name === '/attribution/write-key') {
        response.end(
          JSON.stringify({ Parameter: { Name: input.Name, Value: `decrypted:${input.WithDecryption}` } }),
        );
      } else {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((done) => server.close(done));
});

describe('secret references at cold start', () => {
  it('reads secret strings by ARN', async () => {
    calls.length = 0;
    expect(await readSecretStrings([SECRET_ARN])).toEqual(new Map([[SECRET_ARN, 'mailgun-signing-key']]));
    expect(await readSecretStrings([])).toEqual(new Map());
    expect(calls).toEqual([`secretsmanager.GetSecretValue ${SECRET_ARN}`]);
  });

  it('replaces every reference in a config block once, decrypting parameters, and leaves plain strings', async () => {
    calls.length = 0;
    const resolved = await resolveSecretReferences({
      webhooks: { mailgun: { signingKey: SECRET_ARN }, other: { signingKey: SECRET_ARN } },
      writeKeys: ['ssm:/attribution/write-key', 'plain-write-key-0123'],
    });
    expect(resolved).toEqual({
      webhooks: {
        mailgun: { signingKey: 'mailgun-signing-key' },
        other: { signingKey: 'mailgun-signing-key' },
      },
      writeKeys: ['decrypted:true', 'plain-write-key-0123'],
    });
    expect(calls.sort()).toEqual([
      'AmazonSSM.GetParameter /attribution/write-key',
      `secretsmanager.GetSecretValue ${SECRET_ARN}`,
    ]);
  });

  it('fails when a referenced secret does not exist (the function cannot start half-configured)', async () => {
    await expect(readSecretStrings([`${SECRET_ARN}x`])).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
