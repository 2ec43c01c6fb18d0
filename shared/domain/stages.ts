import type { AttributionConfig } from './config.ts';
import type { IncomingEvent, Stage } from './event-schema.ts';

/**
 * The funnel stage of an event (docs/channels.md). An event's own `stage` wins; conversions map by
 * name through the config (unknown names are decisions); e-mail `sent`, `delivered`, `bounce`,
 * `unsubscribe`, `complaint` and `subscribe` belong to no stage, nor do survey answers and cart
 * changes (they feed their own metrics); a share is advocacy.
 */
export function stageOf(event: IncomingEvent, stages: AttributionConfig['stages']): Stage | undefined {
  switch (event.type) {
    case 'ad_impression':
    case 'search':
      return 'awareness';
    case 'ad_click':
    case 'page_view':
      return 'consideration';
    case 'email':
      return event.action === 'open' || event.action === 'click' ? 'consideration' : undefined;
    case 'identify':
    case 'survey':
    case 'cart':
      return undefined;
    case 'share':
      return 'advocacy';
    case 'conversion':
      if (event.stage) return event.stage;
      if (stages.retention.includes(event.name)) return 'retention';
      if (stages.advocacy.includes(event.name)) return 'advocacy';
      return 'decision';
  }
}
