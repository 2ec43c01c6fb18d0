import { describe, expect, it } from 'vitest';
import { isSecretReference, secretArnPatterns } from '#domain/secret-references.ts';

describe('secret references', () => {
  it('are Secrets Manager ARNs of any partition and SSM parameter names, nothing else', () => {
    expect(isSecretReference('arn:aws:secretsmanager:us-east-1:111111111111:secret:mg-AbCdEf')).toBe(true);
    expect(isSecretReference('arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:mg')).toBe(true);
    expect(isSecretReference('ssm:/attribution/write-key')).toBe(true);
    // An SNS topic is an ARN but no secret; a plain value is a value.
    expect(isSecretReference('arn:aws:sns:us-east-1:111111111111:ses-events')).toBe(false);
    expect(isSecretReference('key-123')).toBe(false);
    expect(isSecretReference('ssm:attribution')).toBe(false);
  });

  it('grant a reference as given and with the wildcard for the random suffix', () => {
    expect(secretArnPatterns('arn:aws:secretsmanager:us-east-1:1:secret:api-secret')).toEqual([
      'arn:aws:secretsmanager:us-east-1:1:secret:api-secret',
      'arn:aws:secretsmanager:us-east-1:1:secret:api-secret-??????',
    ]);
  });
});
