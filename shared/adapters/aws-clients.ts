import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability.ts';

/**
 * SDK clients, traced by X-Ray when the function is (a subsegment per call). Endpoints come from
 * the standard `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL_DYNAMODB` variables, so the same code
 * talks to AWS or the local servers.
 */
export function createS3Client(props: { readonly forcePathStyle: boolean }): S3Client {
  return tracer.captureAWSv3Client(new S3Client({ forcePathStyle: props.forcePathStyle, maxAttempts: 3 }));
}

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 4 })), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export function createSnsClient(): SNSClient {
  return tracer.captureAWSv3Client(new SNSClient({ maxAttempts: 3 }));
}
