/**
 * The Sankey of the top channel paths (`GET /v1/journeys/paths`). A path may come back to a channel
 * (search → e-mail → search) and a Sankey must not loop, so a node is a channel at a step
 * (`2:email`); each path's last step flows into its outcome. Plain data, no DOM.
 */

export interface PathRow {
  readonly path: readonly string[];
  readonly journeys: number;
  readonly conversions: number;
}

export interface PathFlows {
  readonly flows: Array<{ from: string; to: string; flow: number }>;
  /** What each node is called on the chart: its channel, or the outcome. */
  readonly labels: Record<string, string>;
  /** The column of each node: its step, outcomes last. */
  readonly columns: Record<string, number>;
}

export const CONVERTED = 'outcome:converted';
export const NOT_CONVERTED = 'outcome:not-converted';

export function pathFlows(paths: readonly PathRow[]): PathFlows {
  const sums = new Map<string, { from: string; to: string; flow: number }>();
  const labels: Record<string, string> = { [CONVERTED]: 'conversion', [NOT_CONVERTED]: 'no conversion' };
  const columns: Record<string, number> = {};
  const add = (from: string, to: string, flow: number) => {
    if (flow <= 0) return;
    const key = `${from}>${to}`;
    const sum = sums.get(key) ?? { from, to, flow: 0 };
    sum.flow += flow;
    sums.set(key, sum);
  };
  const steps = Math.max(0, ...paths.map((p) => p.path.length));
  for (const { path, journeys, conversions } of paths) {
    const nodes = path.map((channel, i) => {
      const node = `${i + 1}:${channel}`;
      labels[node] = channel;
      columns[node] = i;
      return node;
    });
    nodes.slice(1).forEach((node, i) => {
      add(nodes[i] as string, node, journeys);
    });
    const last = nodes[nodes.length - 1] as string;
    add(last, CONVERTED, conversions);
    add(last, NOT_CONVERTED, journeys - conversions);
  }
  columns[CONVERTED] = steps;
  columns[NOT_CONVERTED] = steps;
  return { flows: [...sums.values()], labels, columns };
}
