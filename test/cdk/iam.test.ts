import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAttributionApp } from '../../cdk/lib/attribution-app.ts';
import { deploySettingsSchema } from '../../cdk/lib/deploy-config.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Synthesises the app for a config (the repository's own unless given) and gives the pipeline template. */
function synthPipeline(config?: Record<string, unknown>): Template {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-iam-'));
  let configPath = 'attribution.config.json';
  if (config) {
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
  }
  const { app, pipeline } = createAttributionApp({
    configPath,
    outdir: join(dir, 'out'),
    context: {
      ...(JSON.parse(readFileSync('cdk.json', 'utf8')).context as object),
      'aws:cdk:bundling-stacks': [],
    },
  });
  // Synthesis also runs cdk-nag, which must stay green with these statements.
  app.synth();
  return Template.fromStack(pipeline);
}

/** What a resource of a statement is, in words: `keys`, `raw/*`, `bucket`, `hash key`… */
function labelOf(resource: unknown): string {
  const text = JSON.stringify(resource);
  const prefix = /RawBucketArn"\},"\/(\w+)\/\*"/.exec(text);
  if (prefix) return `${prefix[1]}/*`;
  const labels: Array<[RegExp, string]> = [
    [/RawBucketArn/, 'bucket'],
    [/ExportsOutputFnGetAttKeys[0-9A-F]{8}Arn/, 'keys'],
    [/ExportsOutputFnGetAttResults[0-9A-F]{8}Arn/, 'results'],
    [/ExportsOutputFnGetAttSpend[0-9A-F]{8}Arn/, 'spend'],
    [/ExportsOutputFnGetAttLoad[0-9A-F]{8}Arn/, 'load queue'],
    [/ExportsOutputRefEmailHashKey/, 'hash key'],
    [/ExportsOutputRefBootstrapApiKey/, 'bootstrap key'],
    [/"Ref":"JobStateMachine/, 'state machine'],
    [/"Ref":"KpiAlerts[0-9A-F]{8}"/, 'alerts topic'],
    [/KpiAlertsKey[0-9A-F]{8}","Arn"/, 'alerts key'],
    [/^"\*"$/, '*'],
    [/^"arn:aws:kms:/, 'secrets key'],
    [/^"arn:aws:secretsmanager:/, 'referenced secret'],
    [/:parameter\//, 'referenced parameter'],
  ];
  const found = labels.find(([pattern]) => pattern.test(text));
  if (!found) throw new Error(`no label for ${text}`);
  return found[1];
}

/** Every `action on resource` the policies of a function's role allow, sorted. */
function grantsOf(template: Template, functionName: string): string[] {
  const [entry] = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    new RegExp(`^${functionName}Function[0-9A-F]{8}$`).test(id),
  );
  if (!entry) throw new Error(`no function ${functionName}`);
  const role = (entry[1].Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const grants: string[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    if (!JSON.stringify(policy.Properties.Roles).includes(`"${role}"`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>) {
      expect(statement.Effect).toBe('Allow');
      const condition = statement.Condition ? ` if ${JSON.stringify(statement.Condition)}` : '';
      for (const action of [statement.Action].flat() as string[]) {
        for (const resource of [statement.Resource].flat())
          grants.push(`${action} on ${labelOf(resource)}${condition}`);
      }
    }
  }
  return grants.sort();
}

/** CDK's own for every function: active X-Ray tracing. */
const TRACING = ['xray:PutTelemetryRecords on *', 'xray:PutTraceSegments on *'];
const LISTS_RAW_AND_LAKE = 's3:ListBucket on bucket if {"StringLike":{"s3:prefix":["raw/*","lake/*"]}}';

/** By hand, from the code each function runs; a new SDK call must show up here. */
const EXPECTED: Record<string, string[]> = {
  Ingest: [
    'dynamodb:GetItem on keys', // http/middleware.ts apiKeyAuth → key-store.ts find
    's3:PutObject on raw/*', // services/intake.ts → raw-store.ts putEvents
    's3:DeleteObject on raw/*', // raw-store.ts putEvents takes back what landed (DeleteObjects)
    'secretsmanager:GetSecretValue on hash key', // adapters/pipeline.ts createPipelineFromEnvironment
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts createPipelineFromEnvironment
  ],
  Collect: [
    'dynamodb:GetItem on keys', // services/collect.ts authenticateWriteKey → key-store.ts find
    's3:PutObject on raw/*', // services/collect.ts → intake.ts → raw-store.ts putEvents
    's3:DeleteObject on raw/*', // raw-store.ts putEvents takes back what landed
    's3:PutObject on archive/*', // services/collect.ts → raw-store.ts putArchive
    'secretsmanager:GetSecretValue on hash key', // adapters/pipeline.ts
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts
  ],
  Webhooks: [
    'dynamodb:PutItem on results', // replay-guard.ts claim (Mailgun's one-time tokens)
    'dynamodb:DeleteItem on results', // replay-guard.ts release, when storing the delivery failed
    's3:PutObject on raw/*', // services/intake.ts → raw-store.ts putEvents
    's3:DeleteObject on raw/*', // raw-store.ts putEvents takes back what landed
    'secretsmanager:GetSecretValue on hash key', // adapters/pipeline.ts
  ],
  Spend: [
    'dynamodb:GetItem on keys', // http/middleware.ts apiKeyAuth
    'dynamodb:BatchWriteItem on spend', // spend-store.ts upsert → dynamo-batch.ts batchWriteAll
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts
  ],
  Keys: [
    'dynamodb:GetItem on keys', // key-store.ts find (apiKeyAuth)
    'dynamodb:PutItem on keys', // key-store.ts put (POST /v1/keys)
    'dynamodb:Scan on keys', // key-store.ts list (GET /v1/keys)
    'dynamodb:UpdateItem on keys', // key-store.ts revoke (DELETE /v1/keys/{keyHash})
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts
  ],
  Query: [
    'dynamodb:GetItem on keys', // http/middleware.ts apiKeyAuth
    'dynamodb:BatchGetItem on results', // results-store.ts readRange → #readHeads, #readBodies → batchGetAll
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts
  ],
  Jobs: [
    'dynamodb:GetItem on keys', // http/middleware.ts apiKeyAuth
    'dynamodb:GetItem on results', // results-store.ts get (GET /v1/jobs/{jobId})
    'dynamodb:PutItem on results', // step-functions-runner.ts start → results-store.ts put
    'states:StartExecution on state machine', // step-functions-runner.ts start
    'secretsmanager:GetSecretValue on bootstrap key', // adapters/pipeline.ts
  ],
  Load: [
    's3:GetObject on raw/*', // build-lake.ts appendToLakeDay → raw-store.ts readObject
    's3:GetObject on lake/*', // build-lake.ts mergeParts → lake-store.ts fetchPartitions
    's3:PutObject on lake/*', // lake-store.ts putPartition
    's3:DeleteObject on lake/*', // build-lake.ts mergeParts → lake-store.ts deleteParts
    // lake-store.ts listParts, fetchPartitions (ListObjectsV2 on lake/); on raw/ a taken-back
    // object then answers NoSuchKey (skipped) rather than 403
    LISTS_RAW_AND_LAKE,
    'sqs:ReceiveMessage on load queue', // Lambda's SQS event source mapping, with this role
    'sqs:DeleteMessage on load queue', // Lambda's SQS event source mapping
    'sqs:GetQueueAttributes on load queue', // Lambda's SQS event source mapping
  ],
  Compute: [
    'dynamodb:GetItem on results', // compute handler plan, jobs.ts reduce/fail → results-store.ts get
    'dynamodb:PutItem on results', // jobs.ts plan/reduce/fail → results-store.ts put
    'dynamodb:UpdateItem on results', // jobs.ts build/map → results-store.ts advance; writeDays → #recordVersions
    'dynamodb:BatchGetItem on results', // compute.ts reduceBuckets → writeDays → #readHeads, #tryRead
    'dynamodb:BatchWriteItem on results', // writeDays → #writeItems → batchWriteAll (puts, deletes)
    'dynamodb:Query on spend', // compute.ts reduceBuckets → spend-store.ts list
    's3:GetObject on raw/*', // build-lake.ts buildLakeDay → raw-store.ts readObject
    's3:GetObject on lake/*', // compute.ts openComputeSession → lake-store.ts fetchPartitions
    's3:PutObject on lake/*', // build-lake.ts writeTable → lake-store.ts putPartition
    's3:DeleteObject on lake/*', // build-lake.ts buildLakeDay, writeTable → lake-store.ts deleteParts
    's3:GetObject on compute/*', // jobs.ts reduce → partial-store.ts get
    's3:PutObject on compute/*', // jobs.ts map → partial-store.ts put
    // raw-store.ts listKeys (buildLakeDay), lake-store.ts listParts and fetchPartitions
    LISTS_RAW_AND_LAKE,
    'sns:Publish on alerts topic', // services/alerts.ts → alert-publisher.ts createSnsAlertPublisher
    // SNS takes a data key from the topic's own key for the message it stores.
    'kms:GenerateDataKey on alerts key',
    'kms:Decrypt on alerts key',
  ],
};

describe('IAM of the functions', () => {
  let pipeline: Template;
  beforeAll(() => {
    pipeline = synthPipeline();
  });

  it.each(Object.keys(EXPECTED))('grants %s exactly the actions its code calls', (name) => {
    expect(grantsOf(pipeline, name)).toEqual([...(EXPECTED[name] ?? []), ...TRACING].sort());
  });

  it('gives every function role only the basic execution managed policy (its own logs)', () => {
    const roles = Object.entries(pipeline.findResources('AWS::IAM::Role')).filter(([id]) =>
      /^\w+FunctionServiceRole[0-9A-F]{8}$/.test(id),
    );
    expect(roles).toHaveLength(9);
    for (const [, role] of roles) {
      expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toBe(
        JSON.stringify([
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
              ],
            ],
          },
        ]),
      );
    }
  });
});

describe('secret references under a customer-managed KMS key', () => {
  const config = (deploy: Record<string, unknown>) => ({
    brand: { name: 'Acme', terms: ['acme'] },
    webhooks: { mailgun: { signingKey: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:mailgun' } },
    writeKeys: ['ssm:/attribution/write-key'],
    deploy,
  });
  const viaService = (service: string) =>
    ({
      StringEquals: {
        'kms:ViaService': [
          { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] },
        ],
      },
    }) as const;

  it('lets the functions that read references decrypt with the key, only through the service holding them', () => {
    const pipeline = synthPipeline(config({ secretsKmsKeyArn: KEY_ARN }));
    // The alerts topic's own key is another matter (see EXPECTED): only the secrets key counts here.
    const kmsGrants = (name: string) =>
      grantsOf(pipeline, name).filter((grant) => grant.startsWith('kms:') && !grant.endsWith('alerts key'));
    // The webhook secret is in Secrets Manager, the write key an SSM SecureString.
    expect(kmsGrants('Webhooks')).toEqual([
      `kms:Decrypt on secrets key if ${JSON.stringify(viaService('secretsmanager'))}`,
    ]);
    expect(kmsGrants('Collect')).toEqual([
      `kms:Decrypt on secrets key if ${JSON.stringify(viaService('ssm'))}`,
    ]);
    for (const name of ['Ingest', 'Spend', 'Keys', 'Query', 'Jobs', 'Load', 'Compute'])
      expect(kmsGrants(name), name).toEqual([]);
  }, 120_000);

  it('grants no KMS action without the key', () => {
    const pipeline = synthPipeline(config({}));
    for (const name of Object.keys(EXPECTED))
      expect(
        grantsOf(pipeline, name).filter((grant) => grant.startsWith('kms:') && !grant.endsWith('alerts key')),
      ).toEqual([]);
    // A whole synthesis with cdk-nag: seconds alone, much longer on a loaded machine.
  }, 120_000);

  it.each([
    ['an alias', 'arn:aws:kms:eu-west-1:111111111111:alias/secrets'],
    ['a key id alone', '1234abcd-12ab-34cd-56ef-1234567890ab'],
    ['a short account', 'arn:aws:kms:eu-west-1:1111:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    [
      'another service',
      'arn:aws:secretsmanager:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ],
  ])('refuses %s as deploy.secretsKmsKeyArn at synth', (_, arn) => {
    expect(() => synthPipeline(config({ secretsKmsKeyArn: arn }))).toThrow(/deploy\.secretsKmsKeyArn/);
  });

  it.each([
    KEY_ARN,
    'arn:aws:kms:us-east-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    'arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  ])('accepts the key ARN %s', (arn) => {
    expect(deploySettingsSchema.parse({ secretsKmsKeyArn: arn }).secretsKmsKeyArn).toBe(arn);
  });
});
