import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '#domain/alerts.ts';
import { logger } from './observability.ts';

/** Tells people about the alerts of a check: SNS on AWS, the log locally. */
export interface AlertPublisher {
  publish(date: string, alerts: readonly Alert[]): Promise<void>;
}

/** What a message says: one line per alert, for e-mail and chat subscribers alike. */
export function describeAlerts(date: string, alerts: readonly Alert[]): string {
  const lines = alerts.map(
    (a) =>
      `${a.kpi} ${a.direction === 'up' ? 'rose' : 'fell'} to ${a.value} on ${a.date} ` +
      `(${a.change > 0 ? '+' : ''}${Math.round(a.change * 1000) / 10}% against ${a.baseline}, the same weekday before)`,
  );
  return [`${alerts.length} KPI alert(s) for ${date}:`, ...lines].join('\n');
}

/** One SNS message per check with alerts: a subject, the lines, and the alerts as JSON attributes. */
export function createSnsAlertPublisher(client: SNSClient, topicArn: string): AlertPublisher {
  return {
    async publish(date, alerts) {
      if (alerts.length === 0) return;
      await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `Attribution: ${alerts.length} KPI alert(s) for ${date}`.slice(0, 100),
          Message: `${describeAlerts(date, alerts)}\n\n${JSON.stringify({ date, alerts })}`,
        }),
      );
    },
  };
}

/** Locally: a warning in the log per check with alerts (GET /v1/alerts lists them too). */
export const logAlertPublisher: AlertPublisher = {
  async publish(date, alerts) {
    if (alerts.length > 0) logger.warn(describeAlerts(date, alerts), { alerts });
  },
};
