/**
 * The daily KPI check against the embedded DynamoDB, publishing through the real SNS client to a
 * stand-in endpoint that speaks SNS's query protocol, and the alerts read back over the query API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSnsAlertPublisher } from '#adapters/alert-publisher.ts';
import { addDays } from '#domain/dates.ts';
import { type DayResult, emptyDayResult, toStoredDay } from '#domain/day-result.ts';
import { createQueryHandler } from '#functions/query/handler.ts';
import { checkAlerts } from '#services/alerts.ts';
import {
  apiEvent,
  bodyOf,
  QUERY_KEY,
  startTestStack,
  type TestStack,
  testContext,
} from '../../support/stack.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111111111111:attribution-alerts';
const DAY = '2026-06-29'; // a Monday
const published: URLSearchParams[] = [];
let server: Server;
let stack: TestStack;
let sns: SNSClient;

const withConversions = (n: number): DayResult => {
  const result = emptyDayResult();
  result.metrics.conversions = { email: n };
  return result;
};

describe('the daily KPI check (services/alerts.ts)', () => {
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        published.push(new URLSearchParams(body));
        response.setHeader('content-type', 'text/xml');
        response.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
        );
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    sns = new SNSClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    stack = await startTestStack();
    // Four Mondays of 20 conversions, then 5: −75%.
    const days = new Map<string, DayResult>([
      ...[28, 21, 14, 7].map((n): [string, DayResult] => [addDays(DAY, -n), withConversions(20)]),
      [DAY, withConversions(5)],
    ]);
    await stack.pipeline.results.writeDays(
      new Map([...days].map(([d, r]) => [d, toStoredDay(r, d)])),
      'compute-20260630T000000-00000001',
    );
  });
  afterAll(async () => {
    await stack.close();
    await new Promise((done) => server.close(done));
  });

  it('stores and publishes a breach, and lists it at GET /v1/alerts; a second run replaces it', async () => {
    const deps = { ...stack.pipeline, publisher: createSnsAlertPublisher(sns, TOPIC) };
    const alerts = await checkAlerts(DAY, deps);
    const expected = {
      date: DAY,
      kpi: 'conversions',
      value: 5,
      baseline: 20,
      change: -0.75,
      direction: 'down',
    };
    expect(alerts).toEqual([expected]);
    expect(published).toHaveLength(1);
    const message = published[0] as URLSearchParams;
    expect(message.get('Action')).toBe('Publish');
    expect(message.get('TopicArn')).toBe(TOPIC);
    expect(message.get('Message')).toContain('conversions fell to 5 on 2026-06-29 (-75% against 20');
    await checkAlerts(DAY, deps);
    const answer = await createQueryHandler(stack.pipeline)(
      apiEvent({ path: '/v1/alerts', query: { from: addDays(DAY, -3), to: DAY }, key: QUERY_KEY }),
      testContext('query'),
    );
    expect(bodyOf(answer)).toEqual({ from: addDays(DAY, -3), to: DAY, alerts: [expected] });
  });
});
