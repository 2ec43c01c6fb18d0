/**
 * The key attributes of each DynamoDB table (the stores address items by them), as the CDK creates
 * the tables on AWS and the local runtime in dynalite. No imports, so the CDK app can read it
 * without pulling in runtime code.
 */
export const TABLE_KEYS = {
  results: { partitionKey: 'pk', sortKey: 'sk' },
  spend: { partitionKey: 'pk', sortKey: 'sk' },
  keys: { partitionKey: 'keyHash' },
} as const satisfies Record<string, { readonly partitionKey: string; readonly sortKey?: string }>;

export type TableName = keyof typeof TABLE_KEYS;
