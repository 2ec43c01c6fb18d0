/**
 * The dashboard (browser code, bundled by `npm run build:dashboard` with Chart.js; nothing is
 * loaded from a CDN). It asks for a query key, keeps it for the browser session only, and draws
 * the metrics of a date range from the same HTTP API.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LogarithmicScale,
  Tooltip,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, Legend, Tooltip);

const COLOURS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
const KEY_STORAGE = 'attribution.queryKey';
const charts: Record<string, Chart> = {};

interface Share {
  channels: Array<{ channel: string; count: number; share: number }>;
}
interface Voice {
  entries: Array<{ name: string; count: number; share: number }>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE) ?? ''}` },
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

function draw(id: string, config: ChartConfiguration<'bar'>): void {
  charts[id]?.destroy();
  charts[id] = new Chart($<HTMLCanvasElement>(id), config);
}

/** One stacked bar per day, one dataset per series; `values` gives day → series → value. */
function stacked(
  id: string,
  labels: string[],
  values: Array<Record<string, number>>,
  percent: boolean,
): void {
  const series = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  draw(id, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((name, i) => ({
        label: name,
        data: values.map((v) => v[name] ?? 0),
        backgroundColor: COLOURS[i % COLOURS.length],
      })),
    },
    options: {
      animation: false,
      responsive: true,
      scales: { x: { stacked: true }, y: { stacked: true, ...(percent ? { max: 100 } : {}) } },
    },
  });
}

async function load(): Promise<void> {
  const from = $<HTMLInputElement>('from').value;
  const to = $<HTMLInputElement>('to').value;
  const range = `from=${from}&to=${to}`;
  $('status').textContent = 'loading…';
  try {
    const dates = days(from, to);
    const [daily, voiceDaily, referral, cpa, compare] = await Promise.all([
      Promise.all(dates.map((d) => api<Share>(`/v1/metrics/channel-share?basis=touches&from=${d}&to=${d}`))),
      Promise.all(dates.map((d) => api<Voice>(`/v1/metrics/share-of-voice?from=${d}&to=${d}`))),
      api<{ domains: Array<{ domain: string; visits: number }> }>(
        `/v1/metrics/referral-traffic?limit=10&${range}`,
      ),
      api<{ stages: Array<{ stage: string; events: number; costPerEvent: number | null }> }>(
        `/v1/metrics/cpa-by-stage?${range}`,
      ),
      api<{ models: string[]; rows: Array<{ channel: string; conversions: Record<string, number> }> }>(
        `/v1/attribution/compare?${range}`,
      ),
    ]);
    stacked(
      'channel-share',
      dates,
      daily.map((d) =>
        Object.fromEntries(d.channels.map((c) => [c.channel, Math.round(c.share * 1000) / 10])),
      ),
      true,
    );
    stacked(
      'share-of-voice',
      dates,
      voiceDaily.map((v) =>
        Object.fromEntries(v.entries.map((e) => [e.name, Math.round(e.share * 1000) / 10])),
      ),
      true,
    );
    draw('referrals', {
      type: 'bar',
      data: {
        labels: referral.domains.map((d) => d.domain),
        datasets: [
          { label: 'visits', data: referral.domains.map((d) => d.visits), backgroundColor: COLOURS[0] },
        ],
      },
      options: { animation: false, indexAxis: 'y' },
    });
    draw('cpa', {
      type: 'bar',
      data: {
        labels: cpa.stages.map((s) => s.stage),
        datasets: [
          {
            label: 'events',
            data: cpa.stages.map((s) => s.events),
            backgroundColor: COLOURS[1],
            yAxisID: 'y',
          },
          {
            label: 'cost per event',
            data: cpa.stages.map((s) => s.costPerEvent ?? 0),
            backgroundColor: COLOURS[2],
            yAxisID: 'cost',
          },
        ],
      },
      // Impressions outnumber conversions by thousands: events on a log scale, cost on its own axis.
      options: {
        animation: false,
        scales: {
          y: { type: 'logarithmic', title: { display: true, text: 'events' } },
          cost: {
            axis: 'y',
            type: 'linear',
            position: 'right',
            title: { display: true, text: 'cost per event' },
            grid: { drawOnChartArea: false },
          },
        },
      },
    });
    draw('models', {
      type: 'bar',
      data: {
        labels: compare.rows.map((r) => r.channel),
        datasets: compare.models.map((model, i) => ({
          label: model,
          data: compare.rows.map((r) => Math.round((r.conversions[model] ?? 0) * 100) / 100),
          backgroundColor: COLOURS[i % COLOURS.length],
        })),
      },
      options: { animation: false },
    });
    $('status').textContent = `${from} .. ${to}`;
  } catch (error) {
    $('status').textContent = (error as Error).message;
  }
}

function init(): void {
  const today = new Date().toISOString().slice(0, 10);
  $<HTMLInputElement>('to').value ||= today;
  $<HTMLInputElement>('from').value ||= new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  $<HTMLInputElement>('key').value = sessionStorage.getItem(KEY_STORAGE) ?? '';
  $('load').addEventListener('click', () => {
    sessionStorage.setItem(KEY_STORAGE, $<HTMLInputElement>('key').value.trim());
    void load();
  });
}

// For tests and the curious: the charts and their data.
(window as unknown as { dashboard: { charts: typeof charts } }).dashboard = { charts };
init();
