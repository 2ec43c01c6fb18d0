import { isSecretReference } from '#domain/secret-references.ts';
import { tracer } from './observability.ts';

/**
 * On AWS the config file names secrets instead of holding them (`arn:aws:secretsmanager:...` or
 * `ssm:/parameter/name`, README: Sending data, Configuration); this resolves every such string inside a config block once,
 * at cold start. Plain strings (the local runtime's file) stay as they are.
 */
/** The string values of Secrets Manager secrets, by ARN (one client, one call each, in parallel). */
export async function readSecretStrings(arns: readonly string[]): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  if (arns.length === 0) return values;
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = tracer.captureAWSv3Client(new SecretsManagerClient({}));
  try {
    // Side by side: these calls are on the cold start of every function that reads secrets.
    const strings = await Promise.all(
      arns.map(async (arn) => (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString),
    );
    for (const [n, arn] of arns.entries()) values.set(arn, strings[n] ?? '');
  } finally {
    client.destroy();
  }
  return values;
}

export async function resolveSecretReferences<T>(value: T): Promise<T> {
  const references = new Set<string>();
  collect(value, references);
  if (references.size === 0) return value;
  const resolved = new Map<string, string>();
  const secretArns = [...references].filter((r) => r.startsWith('arn:'));
  const parameters = [...references].filter((r) => r.startsWith('ssm:/'));
  for (const [arn, value] of await readSecretStrings(secretArns)) resolved.set(arn, value);
  if (parameters.length > 0) {
    const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
    const client = tracer.captureAWSv3Client(new SSMClient({}));
    for (const reference of parameters) {
      const name = reference.slice('ssm:'.length);
      const result = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      resolved.set(reference, result.Parameter?.Value ?? '');
    }
    client.destroy();
  }
  return replace(value, resolved) as T;
}

function collect(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    if (isSecretReference(value)) into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collect(item, into);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) collect(item, into);
  }
}

function replace(value: unknown, resolved: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return resolved.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => replace(item, resolved));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replace(item, resolved)]));
  }
  return value;
}
