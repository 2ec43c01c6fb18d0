import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '#http/routes.ts';
import { createAttributionApp } from '../../cdk/lib/attribution-app.ts';
import {
  AttributionFunction,
  CONFIG_FILE_NAME,
  ENGINE_PACKAGES,
} from '../../cdk/lib/attribution-function.ts';
import { deploySettingsSchema, inlineSecrets } from '../../cdk/lib/deploy-config.ts';
import { StorageStack } from '../../cdk/lib/storage-stack.ts';

const GOLDEN = new URL('./golden/job-state-machine.json', import.meta.url);
let storage: Template;
let pipeline: Template;
let pipelineStack: Stack;

describe('the CDK app', () => {
  beforeAll(() => {
    // Bundling is skipped here (a test below bundles every entry point for real).
    const {
      app,
      storage: s,
      pipeline: p,
    } = createAttributionApp({
      configPath: 'attribution.config.json',
      outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')),
      // The feature flags of cdk.json, as the CLI would pass them.
      context: {
        ...(JSON.parse(readFileSync('cdk.json', 'utf8')).context as object),
        'aws:cdk:bundling-stacks': [],
      },
    });
    // Synthesis runs cdk-nag's AWS Solutions checks and throws on any unacknowledged finding.
    const assembly = app.synth();
    expect(assembly.stacks).toHaveLength(2);
    storage = Template.fromStack(s);
    pipeline = Template.fromStack(p);
    pipelineStack = p;
  });

  it('passes cdk-nag AwsSolutions with every finding acknowledged, and fails synthesis on a new finding', () => {
    // The app synthesised in beforeAll; the same app with one unacknowledged finding must not.
    const { app, storage: stack } = createAttributionApp({
      configPath: 'attribution.config.json',
      outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    // A queue without a dead-letter queue or TLS enforcement: AwsSolutions-SQS3 and SQS4.
    new Queue(stack, 'UncheckedQueue');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS[34]/);
  });

  it('encrypts, versions and locks the raw bucket to TLS, with lifecycle and access logs', () => {
    storage.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'raw/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'raw-zone',
            Prefix: 'raw/',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
          Match.objectLike({ Id: 'compute-partials', Prefix: 'compute/', ExpirationInDays: 2 }),
        ]),
      },
    });
    // Every bucket denies plain HTTP.
    const policies = storage.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies).length).toBe(Object.keys(storage.findResources('AWS::S3::Bucket')).length);
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('lets CloudFormation name the buckets, so a 20-character stage in ap-southeast-2 deploys and a redeploy after a destroy does not collide', () => {
    // The old fixed name, attribution-<stage>-raw-<account>-<region>, is 64 characters here.
    const stage = 'abcdefghij-klmnopqrs';
    expect(stage).toHaveLength(20);
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')) });
    const stack = new StorageStack(app, `Attribution-${stage}-Storage`, {
      settings: deploySettingsSchema.parse({ stage }),
      env: { account: '123456789012', region: 'ap-southeast-2' },
    });
    const template = Template.fromStack(stack);
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(3);
    // No fixed name: CloudFormation generates a valid one (≤ 63, lower case), new for each stack it creates.
    for (const bucket of buckets) expect(bucket.Properties.BucketName).toBeUndefined();
    // Everything that names the raw bucket takes the generated name.
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        StorageDescriptor: Match.objectLike({
          Location: {
            'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^Raw') }, '/lake/v1/events/']],
          },
        }),
      }),
    });
    // The names this stack does fix stay within their services' limits.
    template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: `attribution-${stage}` });
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: Match.objectLike({ Name: `attribution_${stage.replaceAll('-', '_')}` }),
    });
    expect(JSON.stringify(pipeline.findResources('AWS::IAM::Policy'))).not.toContain('attribution-prod-raw');
  });

  it('creates three on-demand, encrypted tables with point-in-time recovery, and none per event', () => {
    const tables = storage.findResources('AWS::DynamoDB::Table');
    // Results (days, jobs), spend and keys: events live in the lake, not in DynamoDB.
    expect(Object.keys(tables)).toHaveLength(3);
    for (const table of Object.values(tables)) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it("expires the results table's items through expiresAt, the attribute the Mailgun replay guard writes", () => {
    storage.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: Match.arrayWith([Match.objectLike({ AttributeName: 'pk' })]),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(
      Object.values(storage.findResources('AWS::DynamoDB::Table')).filter(
        (t) => t.Properties.TimeToLiveSpecification,
      ),
    ).toHaveLength(1);
  });

  it('feeds the load function from a queue with a dead-letter queue and partial batch responses', () => {
    storage.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    // The logical id of the deployed mapping: another would be a second mapping of the queue.
    expect(Object.keys(pipeline.findResources('AWS::Lambda::EventSourceMapping'))).toEqual([
      'LoadFunctionSqsEventSourceAttributionprodStorageLoadEA33CC28C392E87D',
    ]);
    pipeline.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      // Large batches: a lake day is rebuilt once per batch, however many objects it got.
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 30,
    });
  });

  it('runs every function on Node.js 22, arm64 (x86_64 for the two engine functions), with its log retention set', () => {
    const functions = Object.entries(pipeline.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(9);
    for (const [id, f] of functions) {
      const engine = id.startsWith('ComputeFunction') || id.startsWith('LoadFunction');
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: [engine ? 'x86_64' : 'arm64'],
        TracingConfig: { Mode: 'Active' },
      });
      expect(Object.keys(f.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining([
          'RAW_BUCKET',
          'RESULTS_TABLE',
          'SPEND_TABLE',
          'KEYS_TABLE',
          'ATTRIBUTION_CONFIG',
        ]),
      );
    }
    // Every function of both stacks (CDK's own helper included) logs into a group with a retention.
    for (const template of [storage, pipeline]) {
      const groups = template.findResources('AWS::Logs::LogGroup');
      for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
      for (const f of Object.values(template.findResources('AWS::Lambda::Function'))) {
        expect(f.Properties.LoggingConfig?.LogGroup, JSON.stringify(f.Properties.Handler)).toBeDefined();
      }
    }
  });

  it('gives the compute function the largest /tmp Lambda has (each bucket caches the window) and sizes its buckets by the window', () => {
    const functions = Object.entries(pipeline.findResources('AWS::Lambda::Function'));
    const storage = Object.fromEntries(
      functions.map(([id, f]) => [id.replace(/Function.*$/, ''), f.Properties.EphemeralStorage?.Size]),
    );
    expect(storage).toMatchObject({ Compute: 10240, Load: 4096 });
    const [, compute] = functions.find(([id]) => id.startsWith('ComputeFunction')) ?? [];
    expect(compute?.Properties.Environment.Variables.COMPUTE_BUCKETS).toBe('auto');
    // Its plan refuses a window that would not fit those 10 GiB.
    expect(compute?.Properties.Environment.Variables.COMPUTE_WORK_FOLDER_BYTES).toBe(String(10 * 1024 ** 3));
  });

  it('serves every route of the runtime route table, and sends what none matches to the query function', () => {
    const routes = Object.values(pipeline.findResources('AWS::ApiGatewayV2::Route'));
    const routeKeys = routes.map((r) => r.Properties.RouteKey).sort();
    expect(routeKeys).toEqual([...ROUTES.map((route) => `${route.method} ${route.path}`), '$default'].sort());
    // The same integration as GET /v1/health (a query route): our JSON 404, not API Gateway's.
    const targetOf = (key: string) =>
      JSON.stringify(routes.find((r) => r.Properties.RouteKey === key)?.Properties.Target);
    expect(targetOf('$default')).toBe(targetOf('GET /v1/health'));
    pipeline.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('gives each public collect route its own throttle setting (by default the stage one)', () => {
    const [stage] = Object.values(pipeline.findResources('AWS::ApiGatewayV2::Stage'));
    const collectKeys = ROUTES.filter((r) => r.target === 'collect').map((r) => `${r.method} ${r.path}`);
    expect(collectKeys).toContain('POST /v1/batch');
    expect(Object.keys(stage?.Properties.RouteSettings ?? {}).sort()).toEqual([...collectKeys].sort());
    expect(stage?.Properties.RouteSettings['POST /v1/batch']).toEqual({
      ThrottlingRateLimit: 500,
      ThrottlingBurstLimit: 1000,
    });
    // CloudFormation creates the stage after the routes its settings name.
    const routeIds = Object.entries(pipeline.findResources('AWS::ApiGatewayV2::Route'))
      .filter(([, route]) => collectKeys.includes(route.Properties.RouteKey))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(collectKeys.length);
    expect(stage?.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('schedules the job state machine hourly', () => {
    pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('JobStateMachine') } }),
    });
  });

  it('runs the daily KPI check on the compute function and publishes to an encrypted topic it names', () => {
    pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeFunction'), 'Arn'] },
        Input: JSON.stringify({ action: 'alerts' }),
      }),
    });
    pipeline.hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: 'Attribution KPI alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KpiAlertsKey'), 'Arn'] },
    });
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ALERTS_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^KpiAlerts') } }),
      },
    });
  });

  it('keeps the job state machine definition equal to its golden file, logging under /aws/vendedlogs/', () => {
    const [machine] = Object.values(pipeline.findResources('AWS::StepFunctions::StateMachine'));
    const definition = Stack.of(pipelineStack).resolve(machine?.Properties.DefinitionString) as unknown;
    // Tokens (function ARNs) stay in their CloudFormation form; regenerate with UPDATE_GOLDEN=1 after a reviewed change.
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(definition, null, 2)}\n`);
    expect(definition).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine?.Properties.LoggingConfiguration).toMatchObject({
      Level: 'ALL',
      IncludeExecutionData: false,
    });
    pipeline.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'),
    });
  });

  it('hands every execution that ends without its failure step to the compute function', () => {
    pipeline.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [Match.anyValue()] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ComputeFunction'), 'Arn'] },
          InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('"action":"ended"') }),
        }),
      ],
    });
  });

  it('alarms on dead letters, function errors and throttles, and state machine failures, to an encrypted topic', () => {
    const alarms = Object.values(pipeline.findResources('AWS::CloudWatch::Alarm'));
    // 1 dead-letter queue + 9 functions × (errors, throttles) + 2 state machine (failed, timed out).
    expect(alarms).toHaveLength(21);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    const metrics = alarms.map((a) => a.Properties.MetricName).sort();
    expect(metrics.filter((m) => m === 'Errors')).toHaveLength(9);
    expect(metrics.filter((m) => m === 'Throttles')).toHaveLength(9);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'ApproximateNumberOfMessagesVisible',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
      ]),
    );
    pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  it('lets only the engine functions read the raw zone and write the lake', () => {
    const policiesOf = (name: string) =>
      JSON.stringify(
        Object.entries(pipeline.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith(name)),
      );
    for (const name of ['LoadFunction', 'ComputeFunction']) {
      const policies = policiesOf(name);
      for (const needle of ['/raw/*', '/lake/*', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject']) {
        expect(policies, `${name} ${needle}`).toContain(needle);
      }
    }
    for (const name of ['QueryFunction', 'JobsFunction', 'IngestFunction'])
      expect(policiesOf(name)).not.toContain('/lake/*');
  });

  it('grants no IAM statement Action "*" nor a data action on Resource "*"', () => {
    const statements = [storage, pipeline].flatMap((template) =>
      Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
      ),
    );
    expect(statements.length).toBeGreaterThan(10);
    // Actions that AWS offers only on "*": tracing, log delivery set-up, and notification set-up.
    const allowedOnAnyResource =
      /^(xray:\w+|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|s3:PutBucketNotification)$/;
    for (const statement of statements) {
      const actions = [statement.Action].flat() as string[];
      const resources = [statement.Resource].flat();
      expect(actions).not.toContain('*');
      if (resources.includes('*')) {
        for (const action of actions) expect(action, JSON.stringify(statement)).toMatch(allowedOnAnyResource);
      }
    }
  });

  it('exposes the Parquet lake as a Glue table with partition projection and an encrypted Athena workgroup', () => {
    storage.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'events',
        PartitionKeys: [{ Name: 'dt', Type: 'string' }],
        Parameters: Match.objectLike({
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
        }),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          Columns: Match.arrayWith([
            { Name: 'event_id', Type: 'string' },
            { Name: 'value_micros', Type: 'bigint' },
            { Name: 'voices', Type: 'array<string>' },
          ]),
        }),
      }),
    });
    storage.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
  });

  it('refuses a config that holds webhook secrets instead of referencing them, and lets public write keys be', () => {
    expect(
      inlineSecrets({
        webhooks: { mailgun: { signingKey: 'key-123' }, ses: { topicArns: ['arn:aws:sns:x'] } },
        writeKeys: [
          'wk_public-write-key',
          { key: 'wk_bound-write-key', allowedOrigins: ['https://acme.example'] },
        ],
      }),
    ).toEqual(['webhooks.mailgun.signingKey']);
    expect(
      inlineSecrets({
        webhooks: { mailgun: { signingKey: 'arn:aws:secretsmanager:us-east-1:1:secret:mg' } },
        writeKeys: ['ssm:/attribution/wk'],
      }),
    ).toEqual([]);
  });

  it('lets the webhooks and collect functions read exactly the secrets the config names', () => {
    const configPath = join(mkdtempSync(join(tmpdir(), 'cdk-config-')), 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        brand: { name: 'Acme', terms: ['acme'] },
        webhooks: {
          mailgun: { signingKey: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:mailgun-AbCdEf' },
          // A partial ARN (no random suffix) whose name itself ends in a dash and six characters.
          standard: { secret: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:api-secret' },
        },
        writeKeys: ['ssm:/attribution/write-key'],
      }),
    );
    const { app, pipeline: stack } = createAttributionApp({
      configPath,
      outdir: mkdtempSync(join(tmpdir(), 'cdk-out-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    app.synth();
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const arn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:';
    // Each reference as given and with the wildcard for a random suffix: the partial `api-secret`
    // must match its real ARN `api-secret-XyZ123`, which the old "ends in six characters" test denied.
    expect(policies).toContain(
      `"Action":"secretsmanager:GetSecretValue","Effect":"Allow","Resource":["${arn}mailgun-AbCdEf","${arn}mailgun-AbCdEf-??????","${arn}api-secret","${arn}api-secret-??????"]`,
    );
    expect(policies).toMatch(/"Action":"ssm:GetParameter".*parameter\/attribution\/write-key/);
  });

  it('outputs the API and dashboard URLs and the storage names', () => {
    const outputs = Object.keys(pipeline.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'DashboardUrl',
        'RawBucketName',
        'ResultsTableName',
        'SpendTableName',
        'KeysTableName',
      ]),
    );
  });
});

/** A valid config of about `bytes` bytes: many competitors with many search terms. */
function largeConfig(bytes: number): Record<string, unknown> {
  const competitors = [];
  for (let i = 0; JSON.stringify(competitors).length < bytes; i++)
    competitors.push({
      name: `Competitor ${i}`,
      terms: Array.from({ length: 20 }, (_, t) => `competitor ${i} term ${t}`),
    });
  return { brand: { name: 'Acme', terms: ['acme'] }, competitors };
}

describe('a 256 KB config', () => {
  it('synthesises, with every function environment under 4 KB and the config in no environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-large-config-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(largeConfig(256 * 1024)));
    expect(readFileSync(configPath).length).toBeGreaterThanOrEqual(256 * 1024);
    const { app, pipeline: stack } = createAttributionApp({
      configPath,
      outdir: join(dir, 'out'),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    app.synth();
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(functions.length).toBeGreaterThan(8);
    for (const f of functions) {
      const variables = (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      // Lambda counts the keys and values as JSON; tokens become ARNs and names of under 2 KB all told.
      const size = Buffer.byteLength(JSON.stringify(variables), 'utf8');
      expect(size, JSON.stringify(f.Properties.Handler)).toBeLessThan(4096);
      expect(JSON.stringify(variables)).not.toContain('Competitor 1');
    }
  });

  it('fails synthesis naming the field when the config is invalid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-bad-config-'));
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ brand: { name: 'Acme', terms: ['acme'] }, lookbackDays: 0 }));
    expect(() =>
      createAttributionApp({
        configPath,
        outdir: join(dir, 'out'),
        context: { 'aws:cdk:bundling-stacks': [] },
      }),
    ).toThrow(/lookbackDays/);
  });
});

describe('an engine function asset, bundled for real', () => {
  it('carries the linux-x64 DuckDB binding the tests ran (byte for byte), its loader and the metric SQL', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-engine-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'EngineAsset');
    const configFile = join(outdir, 'large-config.json');
    writeFileSync(configFile, JSON.stringify(largeConfig(256 * 1024)));
    new AttributionFunction(stack, 'ComputeFunction', {
      name: 'compute',
      engine: true,
      baseEnvironment: {},
      logRetention: RetentionDays.ONE_MONTH,
      configFile,
    });
    app.synth();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Architectures: ['x86_64'] });
    const [asset] = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const dir = join(outdir, asset ?? 'missing');
    const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    const binding = 'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node';
    expect(digest(join(dir, binding))).toBe(digest(binding));
    for (const name of ENGINE_PACKAGES)
      expect(existsSync(join(dir, 'node_modules', name, 'package.json')), name).toBe(true);
    const sql = readdirSync('shared/metrics').filter((name) => name.endsWith('.sql'));
    expect(sql.length).toBeGreaterThan(5);
    for (const name of sql)
      expect(readFileSync(join(dir, name), 'utf8')).toBe(readFileSync(join('shared/metrics', name), 'utf8'));
    // The config rides in the asset, byte for byte, where ATTRIBUTION_CONFIG points on Lambda.
    expect(digest(join(dir, CONFIG_FILE_NAME))).toBe(digest(configFile));
    // The binding stays outside the bundle: it is loaded from node_modules beside it.
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8').includes('@duckdb/node-api')).toBe(true);
  }, 120_000);
});
