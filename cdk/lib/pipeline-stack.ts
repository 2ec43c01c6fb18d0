import { type CfnElement, CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { AttributionFunction } from './attribution-function.ts';
import { type DeployConfig, retentionOf } from './deploy-config.ts';
import { rawBucketName, type StorageStack } from './storage-stack.ts';

/** Every route of the HTTP API (DESIGN §4) and the function behind it; a test keeps it equal to the runtime's table. */
export const API_ROUTES = [
  ['GET', '/', 'query'],
  ['GET', '/dashboard.js', 'query'],
  ['GET', '/v1/health', 'query'],
  ['GET', '/v1/openapi.json', 'query'],
  ['POST', '/v1/events', 'ingest'],
  ['POST', '/v1/spend', 'spend'],
  ['POST', '/v1/batch', 'collect'],
  ['POST', '/v1/track', 'collect'],
  ['POST', '/v1/page', 'collect'],
  ['POST', '/v1/identify', 'collect'],
  ['POST', '/v1/screen', 'collect'],
  ['POST', '/v1/group', 'collect'],
  ['POST', '/v1/alias', 'collect'],
  ['POST', '/v1/webhooks/{provider}', 'webhooks'],
  ['GET', '/v1/webhooks/{provider}', 'webhooks'],
  ['GET', '/v1/metrics/channel-share', 'query'],
  ['GET', '/v1/metrics/share-of-voice', 'query'],
  ['GET', '/v1/metrics/referral-traffic', 'query'],
  ['GET', '/v1/metrics/cpa-by-stage', 'query'],
  ['GET', '/v1/attribution', 'query'],
  ['GET', '/v1/attribution/compare', 'query'],
  ['POST', '/v1/jobs/compute', 'jobs'],
  ['POST', '/v1/jobs/replay', 'jobs'],
  ['GET', '/v1/jobs/{jobId}', 'jobs'],
  ['POST', '/v1/keys', 'keys'],
  ['GET', '/v1/keys', 'keys'],
  ['DELETE', '/v1/keys/{keyHash}', 'keys'],
] as const;

export interface PipelineStackProps extends StackProps {
  readonly config: DeployConfig;
  readonly storage: StorageStack;
}

/** The stateless part: functions, HTTP API, load queue consumer, compute state machine, schedule, alarms. */
export class PipelineStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly api: apigw.HttpApi;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { storage } = props;
    const { settings } = props.config;
    const logRetention = retentionOf(settings.logRetentionDays);
    const baseEnvironment = {
      RAW_BUCKET: storage.rawBucket.bucketName,
      EVENTS_TABLE: storage.eventsTable.tableName,
      RESULTS_TABLE: storage.resultsTable.tableName,
      SPEND_TABLE: storage.spendTable.tableName,
      KEYS_TABLE: storage.keysTable.tableName,
      ATTRIBUTION_CONFIG_JSON: props.config.attributionConfigJson,
      SCAN_SEGMENTS: String(settings.scanSegments),
    };
    const fn = (name: string, extra: Partial<ConstructorParameters<typeof AttributionFunction>[2]> = {}) =>
      new AttributionFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        name,
        baseEnvironment,
        logRetention,
        ...extra,
      });

    const ingest = fn('ingest', { environment: { PII_HASH_SECRET_ARN: storage.hashSecret.secretArn } });
    const collect = fn('collect', { environment: { PII_HASH_SECRET_ARN: storage.hashSecret.secretArn } });
    const webhooks = fn('webhooks', { environment: { PII_HASH_SECRET_ARN: storage.hashSecret.secretArn } });
    const spend = fn('spend');
    const keys = fn('keys');
    storage.keysTable.grantReadWriteData(keys);
    const query = fn('query');
    const load = fn('load', { timeout: Duration.minutes(1) });
    const compute = fn('compute', { memorySize: 1769, timeout: Duration.minutes(15) });

    // Least privilege: the exact S3 actions on the exact prefixes; table and secret access through grants.
    const raw = s3.Bucket.fromBucketName(this, 'RawBucket', rawBucketName(settings.stage));
    const objects = (prefix: string, ...s3Actions: string[]) =>
      new iam.PolicyStatement({
        actions: s3Actions.map((a) => `s3:${a}`),
        resources: [raw.arnForObjects(`${prefix}/*`)],
      });
    for (const f of [ingest, collect, webhooks]) {
      f.addToRolePolicy(objects('raw', 'PutObject', 'DeleteObject'));
      storage.hashSecret.grantRead(f);
    }
    collect.addToRolePolicy(objects('archive', 'PutObject'));
    // Secrets the config names: webhook secrets for the webhooks function, write keys for collect.
    const readReferences = (f: AttributionFunction, references: readonly string[]) => {
      // A secret ARN without its random 6-character suffix matches the secret only with a wildcard for it.
      const secrets = references
        .filter((r) => r.startsWith('arn:'))
        .map((arn) => (/-[A-Za-z0-9]{6}$/.test(arn) ? arn : `${arn}-??????`));
      const parameters = references.filter((r) => r.startsWith('ssm:/')).map((r) => r.slice('ssm:'.length));
      if (secrets.length > 0)
        f.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }),
        );
      if (parameters.length > 0) {
        f.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ssm:GetParameter'],
            resources: parameters.map((name) =>
              this.formatArn({
                service: 'ssm',
                resource: 'parameter',
                resourceName: name.replace(/^\//, ''),
              }),
            ),
          }),
        );
      }
    };
    readReferences(webhooks, props.config.secretReferences.webhooks);
    readReferences(collect, props.config.secretReferences.writeKeys);
    storage.spendTable.grantWriteData(spend);
    storage.resultsTable.grantReadData(query);
    load.addToRolePolicy(objects('raw', 'GetObject'));
    // Load reads aliases and moves anonymous events (identity joining), so it reads too.
    storage.eventsTable.grantReadWriteData(load);
    storage.eventsTable.grantReadData(compute);
    storage.spendTable.grantReadData(compute);
    storage.resultsTable.grantReadWriteData(compute);
    compute.addToRolePolicy(objects('compute', 'GetObject', 'PutObject'));
    for (const f of [ingest, collect, spend, query]) storage.keysTable.grantReadData(f);
    const withBootstrapKey = (f: AttributionFunction) => {
      f.addEnvironment('BOOTSTRAP_API_KEY_SECRET_ARN', storage.bootstrapKey.secretArn);
      storage.bootstrapKey.grantRead(f);
    };
    for (const f of [ingest, collect, spend, query, keys]) withBootstrapKey(f);

    load.addEventSource(
      new SqsEventSource(storage.loadQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxBatchingWindow: Duration.seconds(5),
      }),
    );

    this.stateMachine = this.#computeStateMachine(compute, logRetention);
    const jobs = fn('jobs', {
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      timeout: Duration.seconds(29),
    });
    this.stateMachine.grantStartExecution(jobs);
    storage.resultsTable.grantReadWriteData(jobs);
    storage.keysTable.grantReadData(jobs);
    withBootstrapKey(jobs);
    // Replay runs in the jobs function: it lists and reads the raw zone and writes events.
    jobs.addToRolePolicy(objects('raw', 'GetObject'));
    jobs.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [raw.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['raw/*'] } },
      }),
    );
    storage.eventsTable.grantReadWriteData(jobs);

    new scheduler.Schedule(this, 'ComputeSchedule', {
      description: 'Recomputes the last scheduleWindowDays days of metrics and attribution',
      schedule: scheduler.ScheduleExpression.expression(settings.computeSchedule),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
      }),
    });

    this.api = this.#httpApi({ ingest, collect, webhooks, spend, query, jobs, keys }, settings, logRetention);
    this.#alarms(
      [ingest, collect, webhooks, spend, query, jobs, keys, load, compute],
      storage,
      settings.alarmEmail,
    );

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'DashboardUrl', { value: `${this.api.apiEndpoint}/` });
    new CfnOutput(this, 'RawBucketName', { value: storage.rawBucket.bucketName });
    new CfnOutput(this, 'EventsTableName', { value: storage.eventsTable.tableName });
    new CfnOutput(this, 'ResultsTableName', { value: storage.resultsTable.tableName });
    new CfnOutput(this, 'SpendTableName', { value: storage.spendTable.tableName });
    new CfnOutput(this, 'KeysTableName', { value: storage.keysTable.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'BootstrapApiKeySecret', {
      value: storage.bootstrapKey.secretName,
      description:
        'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });

    for (const f of [ingest, collect, webhooks, spend, query, jobs, keys, load, compute]) {
      Validations.of(f).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'DESIGN §7 pins Node.js 22 for the functions and the tooling; moving runtimes is a deliberate release.',
      });
    }
    this.#acknowledgeWildcards(compute, settings.stage);
  }

  /** Each remaining wildcard, acknowledged with the reason it cannot be narrower. */
  #acknowledgeWildcards(compute: AttributionFunction, stage: string): void {
    const raw = `arn:<AWS::Partition>:s3:::attribution-${stage}-raw-<AWS::AccountId>-<AWS::Region>`;
    const findings: Array<[string, string]> = [
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The functions use the AWS managed policy only to write their own CloudWatch logs.',
      ],
      [
        `AwsSolutions-IAM5[Resource::${raw}/raw/*]`,
        'Raw objects have generated keys; access is limited to the raw/ prefix of the one raw bucket.',
      ],
      [
        `AwsSolutions-IAM5[Resource::${raw}/compute/*]`,
        'Compute partials have per-job keys; access is limited to the compute/ prefix of the one raw bucket.',
      ],
      [
        `AwsSolutions-IAM5[Resource::${raw}/archive/*]`,
        'Archived messages have generated keys; collect may only put objects under the archive/ prefix.',
      ],
      [
        'AwsSolutions-IAM5[Resource::*]',
        'X-Ray trace and log-delivery actions have no resource-level permissions.',
      ],
      [
        `AwsSolutions-IAM5[Resource::<${this.getLogicalId(compute.node.defaultChild as CfnElement)}.Arn>:*]`,
        'The state machine invokes versions of its own compute function (the :* qualifier), no other function.',
      ],
    ];
    for (const [id, reason] of findings) Validations.of(this).acknowledge({ id, reason });
  }

  /** plan → map over scan segments (compute map function) → reduce; any failure → fail step, then Fail. */
  #computeStateMachine(compute: AttributionFunction, retention: logs.RetentionDays): sfn.StateMachine {
    const invoke = (id: string, payload: sfn.TaskInput, resultPath?: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: compute,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        ...(resultPath ? { resultPath } : {}),
      });
    const plan = invoke(
      'Plan',
      // The schedule starts with `{}`, a job with `{ jobId, from, to }`: pass whatever came.
      sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$' }),
    );
    const mapSegments = new sfn.Map(this, 'MapSegments', {
      itemsPath: '$.segments',
      maxConcurrency: 20,
      itemSelector: {
        'jobId.$': '$.jobId',
        'from.$': '$.from',
        'to.$': '$.to',
        'segment.$': '$$.Map.Item.Value.segment',
        'totalSegments.$': '$$.Map.Item.Value.totalSegments',
      },
      resultPath: '$.partials',
    });
    mapSegments.itemProcessor(
      invoke(
        'MapSegment',
        sfn.TaskInput.fromObject({
          action: 'map',
          'jobId.$': '$.jobId',
          'from.$': '$.from',
          'to.$': '$.to',
          'segment.$': '$.segment',
          'totalSegments.$': '$.totalSegments',
        }),
      ),
    );
    const reduce = invoke(
      'Reduce',
      sfn.TaskInput.fromObject({
        action: 'reduce',
        'jobId.$': '$.jobId',
        'from.$': '$.from',
        'to.$': '$.to',
        'partials.$': '$.partials',
      }),
    );
    const fail = invoke(
      'RecordFailure',
      sfn.TaskInput.fromObject({ action: 'fail', 'jobId.$': '$.jobId', 'error.$': '$.error' }),
      sfn.JsonPath.DISCARD,
    ).next(
      new sfn.Fail(this, 'ComputeFailed', {
        error: 'ComputeFailed',
        cause: 'a compute step failed; the job records why',
      }),
    );
    const catchInto = { resultPath: '$.error' };
    mapSegments.addCatch(fail, catchInto);
    reduce.addCatch(fail, catchInto);
    const definition = plan.next(mapSegments).next(reduce).next(new sfn.Succeed(this, 'Done'));

    const logGroup = new logs.LogGroup(this, 'ComputeStateMachineLogs', { retention });
    return new sfn.StateMachine(this, 'ComputeStateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  #httpApi(
    functions: Record<
      'ingest' | 'collect' | 'webhooks' | 'spend' | 'query' | 'jobs' | 'keys',
      AttributionFunction
    >,
    settings: DeployConfig['settings'],
    retention: logs.RetentionDays,
  ): apigw.HttpApi {
    const api = new apigw.HttpApi(this, 'Api', {
      description: 'Attribution pipeline: events in, metrics and attribution out',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention });
    const stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttleRate, burstLimit: settings.throttleBurst },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integrations = Object.fromEntries(
      Object.entries(functions).map(([name, f]) => [
        name,
        new HttpLambdaIntegration(`${name}Integration`, f),
      ]),
    ) as Record<keyof typeof functions, HttpLambdaIntegration>;
    for (const [method, path, target] of API_ROUTES) {
      api.addRoutes({ path, methods: [apigw.HttpMethod[method]], integration: integrations[target] });
    }
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Routes authenticate in the function with hashed API keys (Bearer) and provider signatures, as DESIGN §4 specifies.',
    });
    void stage;
    return api;
  }

  #alarms(functions: readonly AttributionFunction[], storage: StorageStack, email: string | undefined): void {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the alarm topic',
    });
    const topic = new sns.Topic(this, 'Alarms', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'Attribution pipeline alarms',
    });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
    const notify = new actions.SnsAction(topic);
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold = 1) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    alarm(
      'LoadDeadLettersAlarm',
      storage.loadDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
    );
    for (const f of functions) {
      alarm(`${f.node.id}Errors`, f.metricErrors({ period: Duration.minutes(5) }));
      alarm(`${f.node.id}Throttles`, f.metricThrottles({ period: Duration.minutes(5) }));
    }
    alarm('ComputeFailures', this.stateMachine.metricFailed({ period: Duration.minutes(5) }));
    alarm('ComputeTimeouts', this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }));
  }
}
