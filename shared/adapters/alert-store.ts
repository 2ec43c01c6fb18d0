import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { type Alert, alertSchema } from '#domain/alerts.ts';
import { datesBetween } from '#domain/dates.ts';
import { batchGetAll } from './dynamo-batch.ts';

/** Where the daily KPI check keeps what it found: one item per checked day in the results table. */
export interface AlertStore {
  /** Replaces the alerts of a checked day (a check run again says the same, never twice). */
  putDay(date: string, alerts: readonly Alert[]): Promise<void>;
  /** The alerts of the days checked in `from`…`to`, in date order. */
  list(from: string, to: string): Promise<Alert[]>;
}

const itemSchema = z.object({ alerts: z.array(alertSchema) });

export class DynamoAlertStore implements AlertStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(props: { readonly client: DynamoDBDocumentClient; readonly table: string }) {
    this.#client = props.client;
    this.#table = props.table;
  }

  async putDay(date: string, alerts: readonly Alert[]): Promise<void> {
    await this.#client.send(
      new PutCommand({ TableName: this.#table, Item: { pk: `alerts#${date}`, sk: 'alerts', alerts } }),
    );
  }

  async list(from: string, to: string): Promise<Alert[]> {
    const dates = datesBetween(from, to);
    const items = await batchGetAll(
      this.#client,
      this.#table,
      dates.map((date) => ({ pk: `alerts#${date}`, sk: 'alerts' })),
    );
    return items
      .flatMap((item) => itemSchema.parse(item).alerts)
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.kpi < b.kpi ? -1 : 1));
  }
}
