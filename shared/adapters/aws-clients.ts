import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients. Endpoints come from the standard `AWS_ENDPOINT_URL_S3` and
 * `AWS_ENDPOINT_URL_DYNAMODB` variables, so the same code talks to AWS or the local servers.
 */
export function createS3Client(props: { readonly forcePathStyle: boolean }): S3Client {
  return new S3Client({ forcePathStyle: props.forcePathStyle, maxAttempts: 3 });
}

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
