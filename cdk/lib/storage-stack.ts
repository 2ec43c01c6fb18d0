import { type CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type DeploySettings, retentionOf } from './deploy-config.ts';

export interface StorageStackProps extends StackProps {
  readonly settings: DeploySettings;
}

import { TABLE_KEYS, type TableName } from '../../shared/adapters/table-keys.ts';
import { EVENT_COLUMNS, LAKE_PREFIX } from '../../shared/lake/lake-tables.ts';

/**
 * Everything that holds data and must outlive a redeploy: the raw zone (source of truth), the
 * tables, the e-mail hash key, the load queue fed by the raw bucket, and the Athena view of the
 * lake. Retained on stack deletion.
 */
export class StorageStack extends Stack {
  readonly rawBucket: s3.Bucket;
  /**
   * The raw bucket's ARN as the pipeline stack imports it, exported under a name of our own (not
   * a generated one) so the pipeline's acknowledged cdk-nag findings can name its prefixes.
   */
  readonly rawBucketArnImport: string;
  readonly resultsTable: dynamodb.Table;
  readonly spendTable: dynamodb.Table;
  readonly keysTable: dynamodb.Table;
  readonly loadQueue: sqs.Queue;
  readonly loadDeadLetterQueue: sqs.Queue;
  readonly hashSecret: secretsmanager.Secret;
  readonly bootstrapKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "CDK's bucket-notification helper function only writes its own logs with this policy.",
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    // No fixed name: CloudFormation generates a valid one, new with every stack creation, so a
    // deploy after a destroy does not collide with the retained bucket (docs/decisions.md).
    this.rawBucket = new s3.Bucket(this, 'Raw', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'raw/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'raw-zone',
          prefix: 'raw/',
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(settings.rawInfrequentAccessDays),
            },
          ],
          ...(settings.rawExpiryDays > 0 ? { expiration: Duration.days(settings.rawExpiryDays) } : {}),
          noncurrentVersionExpiration: Duration.days(30),
        },
        // Lake partitions are rewritten with every rebuild of their day: keep old versions briefly.
        { id: 'lake', prefix: 'lake/', noncurrentVersionExpiration: Duration.days(1) },
        // Compute partials live from a map step to its reduce step.
        {
          id: 'compute-partials',
          prefix: 'compute/',
          expiration: Duration.days(2),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });

    this.rawBucketArnImport = this.exportValue(this.rawBucket.bucketArn, {
      name: `Attribution-${settings.stage}-RawBucketArn`,
    });

    const table = (id: string, name: TableName, ttl?: string) => {
      const keys: { partitionKey: string; sortKey?: string } = TABLE_KEYS[name];
      return new dynamodb.Table(this, id, {
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(keys.sortKey ? { sortKey: { name: keys.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(ttl ? { timeToLiveAttribute: ttl } : {}),
        removalPolicy: RemovalPolicy.RETAIN,
      });
    };
    // Webhook replay tokens (replay-guard.ts) expire through `expiresAt`.
    this.resultsTable = table('Results', 'results', 'expiresAt');
    this.spendTable = table('Spend', 'spend');
    this.keysTable = table('Keys', 'keys');

    this.hashSecret = new secretsmanager.Secret(this, 'EmailHashKey', {
      description: 'Keys the HMAC of e-mail addresses; changing it changes every e-mail user key.',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.hashSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the e-mail hash key would split every e-mail-only user into two; it is rotated by hand with a replay.',
    });

    this.bootstrapKey = new secretsmanager.Secret(this, 'BootstrapApiKey', {
      description:
        'An API key valid for ingest, query and key management, to start a fresh deployment; create other keys with it.',
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bootstrapKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Senders hold this key; rotating it without telling them would stop ingestion. Revoke it by deleting the secret value.',
    });

    this.loadDeadLetterQueue = new sqs.Queue(this, 'LoadDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.loadDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the load queue; an alarm watches its depth.',
    });
    this.loadQueue = new sqs.Queue(this, 'Load', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the load function's timeout, as Lambda event sources advise.
      visibilityTimeout: Duration.minutes(6),
      deadLetterQueue: { queue: this.loadDeadLetterQueue, maxReceiveCount: 5 },
    });
    this.rawBucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.loadQueue), {
      prefix: 'raw/',
    });
    // CDK's helper that applies the notification logs too: give it a log group with a retention.
    const notificationsHandler = this.node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    const handlerResource = notificationsHandler?.node.tryFindChild('Resource') as CfnResource | undefined;
    if (handlerResource) {
      const logGroup = new logs.LogGroup(this, 'BucketNotificationsLogs', {
        retention: retentionOf(settings.logRetentionDays),
      });
      handlerResource.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
    }

    this.#addAthena(settings);
  }

  /**
   * The lake as a Glue table (Parquet, one partition per UTC day, partition projection), so
   * analysts query the same rows compute reads with Athena; and an Athena workgroup for them.
   */
  #addAthena(settings: DeploySettings): void {
    const database = new glue.CfnDatabase(this, 'LakeDatabase', {
      catalogId: this.account,
      databaseInput: {
        name: `attribution_${settings.stage.replaceAll('-', '_')}`,
        description: 'The attribution lake: events classified with the current config',
      },
    });
    const location = `s3://${this.rawBucket.bucketName}/${LAKE_PREFIX}events/`;
    const table = new glue.CfnTable(this, 'LakeEventsTable', {
      catalogId: this.account,
      databaseName: database.ref,
      tableInput: {
        name: 'events',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'dt', type: 'string' }],
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2020-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          columns: EVENT_COLUMNS.map((column) => ({ name: column.name, type: column.glueType })),
        },
      },
    });
    table.addResourceDependency(database);

    const results = new s3.Bucket(this, 'AthenaResults', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: this.node.findChild('AccessLogs') as s3.Bucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ expiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new athena.CfnWorkGroup(this, 'Analysts', {
      name: `attribution-${settings.stage}`,
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${results.bucketName}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
