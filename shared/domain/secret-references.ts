/**
 * How the config names a secret instead of holding it (README: Connect your senders): a Secrets
 * Manager ARN or `ssm:/parameter/name`. One rule, used by the CDK app (which grants access to
 * exactly these) and by the functions (which resolve them at cold start).
 */
export function isSecretReference(value: string): boolean {
  return /^arn:[^:]+:secretsmanager:/.test(value) || value.startsWith('ssm:/');
}

/**
 * The IAM resources that match a Secrets Manager reference. A complete ARN ends in the secret's
 * random six characters; a partial one (the name only) matches with `-??????`. A name can itself
 * end in a dash and six characters (`api-secret`), so both forms are granted, always.
 */
export function secretArnPatterns(arn: string): string[] {
  return [arn, `${arn}-??????`];
}
