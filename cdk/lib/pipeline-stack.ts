import {
  type CfnElement,
  CfnOutput,
  Duration,
  Names,
  Size,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { secretArnPatterns } from '../../shared/domain/secret-references.ts';
import { ROUTES } from '../../shared/http/routes.ts';
import { AttributionFunction, CONFIG_FILE_NAME, ENGINE_FUNCTIONS } from './attribution-function.ts';
import { type DeployConfig, retentionOf } from './deploy-config.ts';
import {
  FUNCTION_ACCESS,
  type FunctionAccess,
  type FunctionName,
  type TableName,
} from './function-access.ts';
import type { StorageStack } from './storage-stack.ts';

/**
 * Task errors the job state machine retries: Lambda's service errors and throttles, task
 * timeouts, the function's own time-out and out-of-memory, and our own 503 (a store that was
 * down, throttled or unreachable, DynamoDB's throughput errors included: the compute handler
 * translates them). Safe because every step is idempotent.
 */
export const RETRIED_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'States.Timeout',
  'Sandbox.Timedout',
  'Runtime.OutOfMemory',
  'ServiceUnavailableError',
];

export interface PipelineStackProps extends StackProps {
  readonly config: DeployConfig;
  readonly storage: StorageStack;
}

/** The compute function's /tmp: every bucket task caches the whole window there. */
const COMPUTE_WORK_FOLDER = Size.gibibytes(10);

/** The stateless part: functions, HTTP API, load queue consumer, compute state machine, schedule, alarms. */
export class PipelineStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly api: apigw.HttpApi;
  /** Where the daily KPI check publishes its alerts (README: Alerts). */
  readonly alertsTopic: sns.Topic;
  readonly #alertsKey: kms.Key;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { storage } = props;
    const { settings } = props.config;
    const logRetention = retentionOf(settings.logRetentionDays);
    const baseEnvironment = {
      RAW_BUCKET: storage.rawBucket.bucketName,
      RESULTS_TABLE: storage.resultsTable.tableName,
      SPEND_TABLE: storage.spendTable.tableName,
      KEYS_TABLE: storage.keysTable.tableName,
      ATTRIBUTION_CONFIG: `/var/task/${CONFIG_FILE_NAME}`,
      COMPUTE_BUCKETS: String(settings.computeBuckets),
    };
    const fn = (name: string, extra: Partial<ConstructorParameters<typeof AttributionFunction>[2]> = {}) =>
      new AttributionFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        name,
        engine: (ENGINE_FUNCTIONS as readonly string[]).includes(name),
        configFile: props.config.attributionConfigFile,
        baseEnvironment,
        logRetention,
        ...extra,
      });

    this.#alertsKey = new kms.Key(this, 'KpiAlertsKey', {
      enableKeyRotation: true,
      description: 'Encrypts the KPI alerts topic',
    });
    this.alertsTopic = new sns.Topic(this, 'KpiAlerts', {
      masterKey: this.#alertsKey,
      enforceSSL: true,
      displayName: 'Attribution KPI alerts',
    });
    if (settings.alarmEmail)
      this.alertsTopic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));

    const ingest = fn('ingest');
    const collect = fn('collect');
    const webhooks = fn('webhooks');
    const spend = fn('spend');
    const keys = fn('keys');
    const query = fn('query');
    // The engine functions keep DuckDB's spill files and the fetched lake partitions in /tmp.
    const engineEnvironment = {
      DUCKDB_TEMP_DIR: '/tmp/duckdb',
      LAKE_CACHE_DIR: '/tmp/lake',
      DUCKDB_MEMORY_LIMIT: '1GB',
    };
    const load = fn('load', {
      memorySize: 1769,
      timeout: Duration.minutes(5),
      environment: engineEnvironment,
    });
    const compute = fn('compute', {
      memorySize: 3008,
      timeout: Duration.minutes(15),
      // Each bucket task caches the whole window's events and DuckDB spills beside them: the most
      // Lambda gives, about 170M events of window; a plan refuses a larger one (COMPUTE_WORK_FOLDER_BYTES).
      ephemeralStorage: COMPUTE_WORK_FOLDER,
      environment: {
        ...engineEnvironment,
        // 1.5GB, not 2GB: a bucket of a 123M-event window peaked at 2.9–3.2 GB RSS with 2GB, at the
        // function's 3,008 MB, and at 2.4 GB with 1.5GB (10% slower; one 10M bucket unchanged).
        DUCKDB_MEMORY_LIMIT: '1.5GB',
        COMPUTE_WORK_FOLDER_BYTES: String(COMPUTE_WORK_FOLDER.toBytes()),
      },
    });

    // Large batches: each day named in a batch is rebuilt once, however many objects it got.
    // A mapping, not CDK's SqsEventSource, whose grant adds two SQS actions Lambda does not use
    // (the queue's actions are in FUNCTION_ACCESS). The id is SqsEventSource's: a new logical id
    // would create a second mapping of the queue before deleting the first, which Lambda refuses.
    load.addEventSourceMapping(`SqsEventSource:${Names.nodeUniqueId(storage.loadQueue.node)}`, {
      eventSourceArn: storage.loadQueue.queueArn,
      batchSize: 1000,
      reportBatchItemFailures: true,
      maxBatchingWindow: Duration.seconds(30),
      maxConcurrency: 2,
    });

    this.stateMachine = this.#computeStateMachine(compute, logRetention);
    const jobs = fn('jobs', {
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      timeout: Duration.seconds(29),
    });
    const functions = { ingest, collect, webhooks, spend, keys, query, jobs, load, compute };
    for (const [name, f] of Object.entries(functions)) {
      this.#grant(f, FUNCTION_ACCESS[name as FunctionName], props);
    }

    // An execution that ends without its own failure step (time-out, abort, a failing failure
    // step) still ends its job: EventBridge hands the end to the compute function.
    new events.Rule(this, 'JobExecutionEnded', {
      description: 'Marks a job failed when its execution times out, is aborted or fails outside its steps',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new eventTargets.LambdaFunction(compute, {
          event: events.RuleTargetInput.fromObject({
            action: 'ended',
            name: events.EventField.fromPath('$.detail.name'),
            status: events.EventField.fromPath('$.detail.status'),
            input: events.EventField.fromPath('$.detail.input'),
          }),
          retryAttempts: 8,
        }),
      ],
    });

    new scheduler.Schedule(this, 'AlertsSchedule', {
      description: 'The daily KPI check: yesterday against the same weekday of the weeks before',
      schedule: scheduler.ScheduleExpression.expression(settings.alertsSchedule),
      target: new targets.LambdaInvoke(compute, {
        input: scheduler.ScheduleTargetInput.fromObject({ action: 'alerts' }),
      }),
    });

    new scheduler.Schedule(this, 'ComputeSchedule', {
      description: 'Recomputes the last scheduleWindowDays days of metrics and attribution from the lake',
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
          'The project pins Node.js 22 (package.json engines, README: Development) for the functions and the tooling; moving runtimes is a deliberate release.',
      });
    }
    this.#acknowledgeWildcards(compute, settings.stage);
  }

  /**
   * The statements of one function's entry in FUNCTION_ACCESS (function-access.ts), each on its
   * exact resource, and the ARNs of the secrets it reads in its environment.
   */
  #grant(f: AttributionFunction, access: FunctionAccess, props: PipelineStackProps): void {
    const { storage, config } = props;
    const allow = (actions: readonly string[], resources: string[], conditions?: Record<string, unknown>) =>
      f.addToRolePolicy(new iam.PolicyStatement({ actions: [...actions], resources, conditions }));
    const prefixed = (service: string, actions: readonly string[]) => actions.map((a) => `${service}:${a}`);
    const tables = { results: storage.resultsTable, spend: storage.spendTable, keys: storage.keysTable };
    for (const [name, actions] of Object.entries(access.tables ?? {}) as Array<[TableName, string[]]>) {
      allow(prefixed('dynamodb', actions), [tables[name].tableArn]);
    }
    const bucketArn = storage.rawBucketArnImport;
    for (const [prefix, actions] of Object.entries(access.objects ?? {}) as Array<[string, string[]]>) {
      allow(prefixed('s3', actions), [`${bucketArn}/${prefix}/*`]);
    }
    if (access.lists) {
      allow(['s3:ListBucket'], [bucketArn], {
        StringLike: { 's3:prefix': access.lists.map((prefix) => `${prefix}/*`) },
      });
    }
    const secrets = { hashKey: storage.hashSecret, bootstrapKey: storage.bootstrapKey };
    const secretVariables = { hashKey: 'PII_HASH_SECRET_ARN', bootstrapKey: 'BOOTSTRAP_API_KEY_SECRET_ARN' };
    if (access.secrets) {
      allow(
        ['secretsmanager:GetSecretValue'],
        access.secrets.map((name) => secrets[name].secretArn),
      );
      for (const name of access.secrets) f.addEnvironment(secretVariables[name], secrets[name].secretArn);
    }
    if (access.references) {
      this.#readReferences(f, config.secretReferences[access.references], config.settings.secretsKmsKeyArn);
    }
    if (access.stateMachine)
      allow(prefixed('states', access.stateMachine), [this.stateMachine.stateMachineArn]);
    if (access.loadQueue) allow(prefixed('sqs', access.loadQueue), [storage.loadQueue.queueArn]);
    if (access.alertsTopic) {
      allow(prefixed('sns', access.alertsTopic), [this.alertsTopic.topicArn]);
      // Publishing to a topic under a customer-managed key needs a data key from it.
      allow(['kms:GenerateDataKey', 'kms:Decrypt'], [this.#alertsKey.keyArn]);
      f.addEnvironment('ALERTS_TOPIC_ARN', this.alertsTopic.topicArn);
    }
  }

  /**
   * The secrets and SSM parameters a config block names (webhook secrets, write keys), and the
   * customer-managed key they are encrypted with, if any: `kms:Decrypt` only through the services
   * that hold them.
   */
  #readReferences(
    f: AttributionFunction,
    references: readonly string[],
    kmsKeyArn: string | undefined,
  ): void {
    const secrets = references.filter((r) => r.startsWith('arn:')).flatMap(secretArnPatterns);
    const parameters = references.filter((r) => r.startsWith('ssm:/')).map((r) => r.slice('ssm:'.length));
    if (secrets.length > 0) {
      f.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }),
      );
    }
    if (parameters.length > 0) {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: parameters.map((name) =>
            this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') }),
          ),
        }),
      );
    }
    const services = [
      ...(secrets.length > 0 ? ['secretsmanager'] : []),
      ...(parameters.length > 0 ? ['ssm'] : []),
    ];
    if (kmsKeyArn && services.length > 0) {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [kmsKeyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': services.map((service) => `${service}.${this.region}.${this.urlSuffix}`),
            },
          },
        }),
      );
    }
  }

  /** Each remaining wildcard, acknowledged with the reason it cannot be narrower. */
  #acknowledgeWildcards(compute: AttributionFunction, stage: string): void {
    const raw = `Attribution-${stage}-RawBucketArn`;
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
        `AwsSolutions-IAM5[Resource::${raw}/lake/*]`,
        'Lake partitions have one key per table and day; access is limited to the lake/ prefix of the one raw bucket.',
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

  /**
   * The one job lifecycle on AWS: plan → build each lake day (replay) → compute each bucket →
   * reduce; a failure anywhere → record it on the job, then Fail. Every task is idempotent, so
   * throttles, timeouts and service errors are retried with backoff before anything fails.
   */
  #computeStateMachine(compute: AttributionFunction, retention: logs.RetentionDays): sfn.StateMachine {
    const invoke = (id: string, payload: sfn.TaskInput, extra: Partial<tasks.LambdaInvokeProps> = {}) => {
      const task = new tasks.LambdaInvoke(this, id, {
        lambdaFunction: compute,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(15)),
        ...extra,
      });
      task.addRetry({
        errors: RETRIED_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 4,
      });
      return task;
    };
    const plan = invoke(
      'Plan',
      // The schedule starts with `{}`, a job with `{ jobId, kind, from, to }`: pass whatever came.
      sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$', 'executionName.$': '$$.Execution.Name' }),
    );
    const buildDays = new sfn.Map(this, 'BuildDays', {
      itemsPath: '$.days',
      maxConcurrency: 4,
      itemSelector: { 'jobId.$': '$.jobId', 'date.$': '$$.Map.Item.Value' },
      resultPath: '$.built',
    });
    buildDays.itemProcessor(
      invoke(
        'BuildDay',
        sfn.TaskInput.fromObject({ action: 'build', 'jobId.$': '$.jobId', 'date.$': '$.date' }),
      ),
    );
    const computeBuckets = new sfn.Map(this, 'ComputeBuckets', {
      itemsPath: '$.buckets',
      maxConcurrency: 20,
      itemSelector: {
        'jobId.$': '$.jobId',
        'from.$': '$.from',
        'to.$': '$.to',
        'bucket.$': '$$.Map.Item.Value.bucket',
        'buckets.$': '$$.Map.Item.Value.buckets',
      },
      resultPath: '$.outputs',
    });
    computeBuckets.itemProcessor(
      invoke(
        'ComputeBucket',
        sfn.TaskInput.fromObject({
          action: 'map',
          'jobId.$': '$.jobId',
          'from.$': '$.from',
          'to.$': '$.to',
          'bucket.$': '$.bucket',
          'buckets.$': '$.buckets',
        }),
      ),
    );
    const reduce = invoke(
      'Reduce',
      sfn.TaskInput.fromObject({
        action: 'reduce',
        'jobId.$': '$.jobId',
        'kind.$': '$.kind',
        'from.$': '$.from',
        'to.$': '$.to',
        'outputs.$': '$.outputs',
        'built.$': '$.built',
      }),
    );
    const fail = invoke(
      'RecordFailure',
      // The whole state: `jobId` (absent when the schedule's plan itself failed) and `error`.
      sfn.TaskInput.fromObject({ action: 'fail', 'state.$': '$' }),
      { resultPath: sfn.JsonPath.DISCARD },
    ).next(
      new sfn.Fail(this, 'JobFailed', {
        error: 'JobFailed',
        cause: 'a job step failed; the job records why',
      }),
    );
    const catchInto = { resultPath: '$.error' };
    plan.addCatch(fail, catchInto);
    buildDays.addCatch(fail, catchInto);
    computeBuckets.addCatch(fail, catchInto);
    reduce.addCatch(fail, catchInto);
    const definition = plan
      .next(buildDays)
      .next(computeBuckets)
      .next(reduce)
      .next(new sfn.Succeed(this, 'Done'));

    // Under /aws/vendedlogs/, where Step Functions may write without a resource policy per group.
    const logGroup = new logs.LogGroup(this, 'JobStateMachineLogs', {
      retention,
      logGroupName: `/aws/vendedlogs/states/${this.stackName}-jobs`,
    });
    return new sfn.StateMachine(this, 'JobStateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(4),
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
            // No source IP: visitors' addresses are never stored (docs/decisions.md, Websites).
            requestId: '$context.requestId',
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
    // No API Gateway CORS setting: the collect function answers its own preflights, the same
    // way locally and here (shared/http/cors.ts).
    const collectRouteSettings: Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    > = {};
    for (const { method, path, target } of ROUTES) {
      const [route] = api.addRoutes({
        path,
        methods: [apigw.HttpMethod[method]],
        integration: integrations[target],
      });
      if (target !== 'collect' || !route) continue;
      collectRouteSettings[`${method} ${path}`] = {
        ThrottlingRateLimit: settings.collectThrottleRate ?? settings.throttleRate,
        ThrottlingBurstLimit: settings.collectThrottleBurst ?? settings.throttleBurst,
      };
      // A stage's route settings may only name routes that exist already.
      stage.node.addDependency(route);
    }
    (stage.node.defaultChild as apigw.CfnStage).routeSettings = collectRouteSettings;
    // A request no route matches gets our `{ error: { code, message } }` 404 from the query
    // function, not API Gateway's `{ "message": "Not Found" }`.
    new apigw.HttpRoute(api, 'UnmatchedRoute', {
      httpApi: api,
      routeKey: apigw.HttpRouteKey.DEFAULT,
      integration: integrations.query,
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Routes authenticate in the function with hashed API keys (Bearer) and provider signatures, as the README (Sending data) specifies.',
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
    alarm('JobFailures', this.stateMachine.metricFailed({ period: Duration.minutes(5) }));
    alarm('JobTimeouts', this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }));
  }
}
