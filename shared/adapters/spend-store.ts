import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type SpendRow, spendRowSchema } from '#domain/normalised-event.ts';
import { batchWriteAll } from './dynamo-batch.ts';

/** Spend rows, keyed by date + platform + campaign + channel; writing a row again replaces it. */
export interface SpendStore {
  upsert(rows: readonly SpendRow[]): Promise<void>;
  /** Rows dated from `from` to `to`, both included. */
  list(from: string, to: string): Promise<SpendRow[]>;
}

export interface DynamoSpendStoreProps {
  readonly client: DynamoDBDocumentClient;
  readonly table: string;
}

/**
 * Items: `pk` = the month (`YYYY-MM`), `sk` = `date#platform#campaign#channel` (parts escaped).
 * The channel is part of the key: a correction that changes a row's network or channel is another
 * row (send the old one with amount 0 to clear it). Spend is a few
 * rows a day, so a month per partition keeps range reads to one query per month.
 */
export class DynamoSpendStore implements SpendStore {
  readonly #props: DynamoSpendStoreProps;

  constructor(props: DynamoSpendStoreProps) {
    this.#props = props;
  }

  async upsert(rows: readonly SpendRow[]): Promise<void> {
    // The last row for a key wins within one request, as it would across requests.
    const byKey = new Map(rows.map((row) => [sortKeyOf(row), row]));
    await batchWriteAll(
      this.#props.client,
      this.#props.table,
      [...byKey].map(([sk, row]) => ({ PutRequest: { Item: { ...row, pk: row.date.slice(0, 7), sk } } })),
    );
  }

  async list(from: string, to: string): Promise<SpendRow[]> {
    const rows: SpendRow[] = [];
    for (const month of monthsBetween(from, to)) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.#props.client.send(
          new QueryCommand({
            TableName: this.#props.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': month, ':from': `${from}#`, ':to': `${to}#\uffff` },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const { pk: _pk, sk: _sk, ...row } = item;
          rows.push(spendRowSchema.parse(row));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return rows;
  }
}

/**
 * `#` joins the parts; inside a part it is written `%23` (and `%` as `%25`), so no two rows share a
 * key: `acme#brand` + `x` and `acme` + `brand#x` stay two rows.
 */
function sortKeyOf(row: SpendRow): string {
  return [row.date, row.platform, row.campaign, row.channel]
    .map((part) => part.replaceAll('%', '%25').replaceAll('#', '%23'))
    .join('#');
}

function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = from.slice(0, 7).split('-').map(Number) as [number, number];
  const end = to.slice(0, 7);
  for (;;) {
    const current = `${year}-${String(month).padStart(2, '0')}`;
    if (current > end) return months;
    months.push(current);
    month += 1;
    if (month === 13) [year, month] = [year + 1, 1];
  }
}
