/**
 * The dashboard (browser code, bundled by `npm run build:dashboard` with Chart.js; nothing is
 * loaded from a CDN). It asks for a query key, keeps it (and the channel filter) for the browser
 * session only, and draws the metrics of a date range from the same HTTP API, one request per chart
 * or table; each card downloads its request as CSV.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import { Flow, SankeyController } from 'chartjs-chart-sankey';
import type { z } from 'zod';
import type {
  adsResponseSchema,
  attributionCompareResponseSchema,
  cartResponseSchema,
  channelShareResponseSchema,
  cpaByStageResponseSchema,
  emailResponseSchema,
  funnelResponseSchema,
  npsResponseSchema,
  pathsResponseSchema,
  referralTrafficResponseSchema,
  shareOfVoiceResponseSchema,
  visitorsResponseSchema,
} from '../shared/http/api-schemas.ts';
import { type Formatter, formatter, intervalFor, type Kind } from './format.ts';
import { journeyStages, type StageView } from './journey.ts';
import { CONVERTED, NOT_CONVERTED, pathFlows } from './paths.ts';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  LineController,
  LineElement,
  PointElement,
  SankeyController,
  Flow,
  Legend,
  Tooltip,
);

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
const CHANNEL_STORAGE = 'attribution.channel';
const charts: Record<string, Chart> = {};
/** For tests and the curious: the charts with their data, and how many loads have been shown. */
const dashboard = { charts, shown: 0 };
(window as unknown as { dashboard: typeof dashboard }).dashboard = dashboard;

type ChannelShare = z.infer<typeof channelShareResponseSchema>;
type Voice = z.infer<typeof shareOfVoiceResponseSchema>;
type Visitors = z.infer<typeof visitorsResponseSchema>;
type EmailFigures = z.infer<typeof emailResponseSchema>['totals'];
interface Series<T> {
  interval: 'day' | 'week' | 'month';
  points: Array<{ from: string; to: string; value: T }>;
}

/** A refused request, with the API's own message (`{ error: { message } }`, or API Gateway's `{ message }`). */
class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A GET with the session's key in the header (never in a URL, where logs and history keep it). */
async function request(path: string): Promise<Response> {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE) ?? ''}` },
  });
  if (response.ok) return response;
  const body = (await response.json().catch(() => ({}))) as {
    error?: { message?: string };
    message?: string;
  };
  throw new ApiError(response.status, body.error?.message ?? body.message ?? response.statusText);
}

async function api<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

function draw<T extends ChartType>(id: string, config: ChartConfiguration<T>): void {
  charts[id]?.destroy();
  charts[id] = new Chart($<HTMLCanvasElement>(id), config as ChartConfiguration);
}

/** A point's label: its first day, or its month when points are months. */
const pointLabel = (point: { from: string }, interval: Series<unknown>['interval']) =>
  interval === 'month' ? point.from.slice(0, 7) : point.from;

const round1 = (n: number) => Math.round(n * 10) / 10;

/** One stacked bar per point, one dataset per name; `values` gives point → name → percent. */
function stacked(id: string, labels: string[], values: Array<Record<string, number>>): void {
  const names = [...new Set(values.flatMap((v) => Object.keys(v)))].sort();
  draw(id, {
    type: 'bar',
    data: {
      labels,
      datasets: names.map((name, i) => ({
        label: name,
        data: values.map((v) => v[name] ?? 0),
        backgroundColor: COLOURS[i % COLOURS.length],
      })),
    },
    options: {
      animation: false,
      responsive: true,
      scales: { x: { stacked: true }, y: { stacked: true, max: 100 } },
    },
  });
}

function lines(id: string, labels: string[], datasets: Array<{ label: string; data: Array<number | null> }>) {
  draw(id, {
    type: 'line',
    data: {
      labels,
      datasets: datasets.map((d, i) => ({ ...d, borderColor: COLOURS[i], backgroundColor: COLOURS[i] })),
    },
    options: { animation: false, responsive: true, spanGaps: true },
  });
}

function drawSeries(
  share: Series<ChannelShare>,
  voice: Series<Voice>,
  visitors: Series<Visitors>,
  email: Series<EmailFigures>,
): void {
  const labels = share.points.map((p) => pointLabel(p, share.interval));
  stacked(
    'channel-share',
    labels,
    share.points.map((p) =>
      Object.fromEntries(p.value.channels.map((c) => [c.channel, round1(c.share * 100)])),
    ),
  );
  stacked(
    'share-of-voice',
    labels,
    voice.points.map((p) => Object.fromEntries(p.value.entries.map((e) => [e.name, round1(e.share * 100)]))),
  );
  lines('visitors', labels, [
    { label: 'visitors', data: visitors.points.map((p) => p.value.visitors) },
    { label: 'visits', data: visitors.points.map((p) => p.value.visits) },
  ]);
  const percent = (rate: number | null) => (rate === null ? null : round1(rate * 100));
  lines('email-rates', labels, [
    { label: 'open rate', data: email.points.map((p) => percent(p.value.openRate)) },
    { label: 'click rate', data: email.points.map((p) => percent(p.value.clickRate)) },
  ]);
  for (const id of ['channel-share', 'share-of-voice', 'visitors', 'email-rates']) {
    const title = $(id).closest('section')?.querySelector('.per');
    if (title) title.textContent = share.interval;
  }
}

function drawCpa(cpa: z.infer<typeof cpaByStageResponseSchema>, format: Formatter): void {
  draw('cpa', {
    type: 'bar',
    data: {
      labels: cpa.stages.map((s) => s.stage),
      datasets: [
        { label: 'events', data: cpa.stages.map((s) => s.events), backgroundColor: COLOURS[1], yAxisID: 'y' },
        {
          label: `cost per event (${cpa.currency})`,
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
          title: { display: true, text: `cost per event (${cpa.currency})` },
          ticks: { callback: (value) => format('money', Number(value)) },
          grid: { drawOnChartArea: false },
        },
      },
    },
  });
}

/** An element with attributes and children (text or elements). */
function el(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** A figure as the page shows it, with its raw value beside it (`data-value`, empty for none). */
function figure(tag: string, key: string, kind: Kind, value: number | null, format: Formatter): HTMLElement {
  return el(tag, { 'data-key': key, 'data-value': value === null ? '' : String(value) }, format(kind, value));
}

const STAGE_COLOURS = ['#1f77b4', '#17becf', '#2ca02c', '#ff7f0e', '#9467bd'];

/** The five stages left to right (top to bottom on a phone), each step's conversion and median wait between. */
function drawJourney(stages: StageView[], format: Formatter): void {
  $('journey').replaceChildren(
    ...stages.flatMap((stage, i) => {
      const card = el(
        'article',
        { class: 'stage', 'data-stage': stage.stage, style: `--colour:${STAGE_COLOURS[i]}` },
        el('h3', {}, stage.stage),
        el('p', { class: 'people' }, figure('b', 'people', 'count', stage.people, format), ' people'),
        el(
          'dl',
          {},
          ...stage.kpis.map((kpi) =>
            el('div', {}, el('dt', {}, kpi.label), figure('dd', kpi.key, kpi.kind, kpi.value, format)),
          ),
        ),
      );
      if (i === 0) return [card];
      const step = el(
        'div',
        { class: 'step', 'data-step': stage.stage, title: `from ${stages[i - 1]?.stage} to ${stage.stage}` },
        figure('b', 'fromPrevious', 'percent', stage.fromPrevious, format),
        el(
          'span',
          {},
          'median ',
          figure('span', 'medianDaysFromPrevious', 'days', stage.medianDaysFromPrevious, format),
        ),
      );
      return [step, card];
    }),
  );
}

interface Column {
  readonly key: string;
  readonly label: string;
  readonly kind: Kind;
  /** A heading over consecutive columns of the same group (a model's three figures). */
  readonly group?: string;
}

/** The header: one row, or two when columns are grouped (ungrouped headings span both). */
function header(head: string, columns: readonly Column[]): HTMLElement {
  if (!columns.some((c) => c.group)) {
    return el('thead', {}, el('tr', {}, el('th', {}, head), ...columns.map((c) => el('th', {}, c.label))));
  }
  const top: HTMLElement[] = [el('th', { rowspan: '2' }, head)];
  columns.forEach((c, i) => {
    if (!c.group) top.push(el('th', { rowspan: '2' }, c.label));
    else if (columns[i - 1]?.group !== c.group) {
      const span = columns.filter((other) => other.group === c.group).length;
      top.push(el('th', { colspan: String(span), class: 'group' }, c.group));
    }
  });
  const grouped = columns.filter((c) => c.group).map((c) => el('th', {}, c.label));
  return el('thead', {}, el('tr', {}, ...top), el('tr', {}, ...grouped));
}

/** A table of the API's rows by `key` (the first column), a cell per column; `foot` rows go below a rule. */
function table(
  id: string,
  head: string,
  columns: readonly Column[],
  rows: ReadonlyArray<{ readonly key: string }>,
  format: Formatter,
  foot: typeof rows = [],
): void {
  const line = (row: (typeof rows)[number]) =>
    el(
      'tr',
      { 'data-key': row.key },
      el('th', { scope: 'row' }, row.key),
      ...columns.map((c) =>
        figure('td', c.key, c.kind, (row as unknown as Record<string, number | null>)[c.key] ?? null, format),
      ),
    );
  $(id).replaceChildren(
    header(head, columns),
    el('tbody', {}, ...rows.map(line)),
    el('tfoot', {}, ...foot.map(line)),
  );
}

const AD_COLUMNS: Column[] = [
  { key: 'impressions', label: 'impressions', kind: 'count' },
  { key: 'clicks', label: 'clicks', kind: 'count' },
  { key: 'ctr', label: 'CTR', kind: 'percent' },
  { key: 'spend', label: 'spend', kind: 'money' },
  { key: 'cpc', label: 'CPC', kind: 'money' },
  { key: 'cpm', label: 'CPM', kind: 'money' },
  { key: 'conversions', label: 'conversions', kind: 'count' },
  { key: 'cpa', label: 'CPA', kind: 'money' },
];

const EMAIL_COLUMNS: Column[] = [
  { key: 'sent', label: 'sent', kind: 'count' },
  { key: 'delivered', label: 'delivered', kind: 'count' },
  { key: 'deliveryRate', label: 'delivery', kind: 'percent' },
  { key: 'bounceRate', label: 'bounce', kind: 'percent' },
  { key: 'openRate', label: 'open', kind: 'percent' },
  { key: 'clickRate', label: 'click', kind: 'percent' },
  { key: 'clickToOpenRate', label: 'click to open', kind: 'percent' },
  { key: 'unsubscribeRate', label: 'unsubscribe', kind: 'percent' },
  { key: 'listGrowth', label: 'list growth', kind: 'count' },
];

type Compare = z.infer<typeof attributionCompareResponseSchema>;

/** Per channel: spend, the self-reported answers, and each model's conversions, CPA and ROAS. */
function drawModels(compare: Compare, format: Formatter): void {
  const columns: Column[] = [
    { key: 'spend', label: 'spend', kind: 'money' },
    { key: 'selfReported', label: 'self-reported', kind: 'count' },
    ...compare.models.flatMap((model): Column[] => [
      { key: `${model}.conversions`, label: 'conv.', kind: 'decimal', group: model.replace('_', ' ') },
      { key: `${model}.cpa`, label: 'CPA', kind: 'money', group: model.replace('_', ' ') },
      { key: `${model}.roas`, label: 'ROAS', kind: 'ratio', group: model.replace('_', ' ') },
    ]),
  ];
  const rows = compare.rows.map((r) => ({
    key: r.channel,
    spend: r.spend,
    selfReported: r.selfReported,
    ...Object.fromEntries(
      compare.models.flatMap((m) => [
        [`${m}.conversions`, r.conversions[m]],
        [`${m}.cpa`, r.cpa[m]],
        [`${m}.roas`, r.roas[m]],
      ]),
    ),
  }));
  table('models', 'channel', columns, rows, format);
  $('models-note').textContent =
    `${format('count', compare.conversions)} conversions worth ${format('money', compare.value)} on ` +
    `${format('money', compare.spend)} spend; ${format('count', compare.selfReported.responses)} ` +
    '"how did you hear about us" answers (self-reported). ROAS = value / spend.';
}

/** The top paths as a Sankey: channels step by step, then whether the journey converted. */
function drawPaths(paths: z.infer<typeof pathsResponseSchema>['paths']): void {
  const { flows, labels, columns } = pathFlows(paths);
  const channels: string[] = [...new Set(paths.flatMap((p) => p.path))].sort();
  const colour = (node: string) => {
    if (node === CONVERTED) return COLOURS[2];
    if (node === NOT_CONVERTED) return '#bbbbbb';
    return COLOURS[channels.indexOf(labels[node] ?? '') % COLOURS.length];
  };
  draw('paths', {
    type: 'sankey',
    data: {
      datasets: [
        {
          label: 'journeys',
          data: flows,
          labels,
          column: columns,
          colorFrom: (c) => colour(c.raw.from) ?? COLOURS[7],
          colorTo: (c) => colour(c.raw.to) ?? COLOURS[7],
          parsing: { from: 'from', to: 'to', flow: 'flow' },
        },
      ],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
}

/** Whether a range holds nothing at all: no stage event, spend, e-mail, survey answer or cart. */
function empty(
  cpa: z.infer<typeof cpaByStageResponseSchema>,
  email: { rows: unknown[] },
  nps: { responses: number },
  cart: { carts: number; checkouts: number },
): boolean {
  return (
    cpa.spend === 0 &&
    cpa.stages.every((s) => s.events === 0) &&
    email.rows.length === 0 &&
    nps.responses === 0 &&
    cart.carts + cart.checkouts === 0
  );
}

type State = 'loading' | 'ready' | 'empty' | 'error';

/** Shows a state: the notice says what went wrong (or that there is nothing), the charts show only when ready. */
function show(state: State, notice = ''): void {
  document.body.dataset.state = state;
  if (state !== 'loading') dashboard.shown++;
  $('notice').textContent = notice;
  $('notice').hidden = notice === '';
  $('charts').hidden = state !== 'ready';
}

function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return `The API could not be reached: ${(error as Error).message}`;
  if (error.status === 401) return 'The API refused this key (401): paste a query key.';
  if (error.status === 403) return 'This key may not read metrics (403): paste a query key.';
  if (error.status === 400) return `The range was refused: ${error.message}`;
  return `The API answered ${error.status}: ${error.message}`;
}

/** Each load counts up, so the answers of an earlier click that arrive late are dropped. */
let loads = 0;

/** A load's or a download's error, in the notice. */
function fail(error: unknown): void {
  $('status').textContent = '';
  show('error', explain(error));
}

/** The cards, as their CSV buttons name them (`data-card` in the page). */
type Card =
  | 'journey'
  | 'channel-share'
  | 'share-of-voice'
  | 'visitors'
  | 'email-rates'
  | 'paths'
  | 'models'
  | 'ads'
  | 'email'
  | 'referrals'
  | 'cpa';

/**
 * Each card's request: the card draws its answer and its CSV button downloads the same request. A
 * channel filters only the two routes that take one (the journey map's people and steps, and the
 * stage events).
 */
function cardPaths(from: string, to: string, channel: string): Record<Card, string> {
  const range = `from=${from}&to=${to}`;
  const stages = channel === '' ? range : `${range}&channel=${channel}`;
  const series = (metric: string) =>
    `/v1/metrics/series?metric=${metric}&interval=${intervalFor(from, to)}&${range}`;
  return {
    journey: `/v1/metrics/funnel?${stages}`,
    'channel-share': series('channel-share'),
    'share-of-voice': series('share-of-voice'),
    visitors: series('visitors'),
    'email-rates': series('email'),
    paths: `/v1/journeys/paths?limit=10&${range}`,
    models: `/v1/attribution/compare?${range}`,
    ads: `/v1/metrics/ads?groupBy=platform&${range}`,
    email: `/v1/metrics/email?${range}`,
    referrals: `/v1/metrics/referral-traffic?limit=10&${range}`,
    cpa: `/v1/metrics/cpa-by-stage?${stages}`,
  };
}

/** The requests of the load on screen: a card's CSV is the range and channel it shows, not the form's. */
let shownPaths: Record<Card, string> | undefined;

/**
 * Saves a card's request as CSV through a temporary `<a download>`, named by the route's last
 * segment, the series' metric (four cards read the series route), the channel (a filtered file is
 * not all channels) and the range: `funnel-2026-07-01-2026-07-30.csv`.
 */
async function downloadCsv(cardPath: string): Promise<void> {
  const mine = loads;
  try {
    const path = `${cardPath}&format=csv`;
    const blob = await (await request(path)).blob();
    const url = new URL(path, location.origin);
    const parts = ['metric', 'channel', 'from', 'to'].map((param) => url.searchParams.get(param));
    const name = [url.pathname.split('/').pop(), ...parts].filter(Boolean).join('-');
    const href = URL.createObjectURL(blob);
    const link = el('a', { href, download: `${name}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    // Not at once: some browsers read the blob after click() returns (FileSaver.js waits 40 s too).
    setTimeout(() => URL.revokeObjectURL(href), 40_000);
  } catch (error) {
    // A load started since then owns the notice.
    if (mine === loads) fail(error);
  }
}

async function load(): Promise<void> {
  const mine = ++loads;
  const from = $<HTMLInputElement>('from').value;
  const to = $<HTMLInputElement>('to').value;
  const channel = $<HTMLSelectElement>('channel').value;
  const range = `from=${from}&to=${to}`;
  const cards = cardPaths(from, to, channel);
  $('status').textContent = 'loading…';
  show('loading');
  try {
    // One request first: a refused key or range then fails once (one line in the browser's
    // console), not once per chart.
    const cpa = await api<z.infer<typeof cpaByStageResponseSchema>>(cards.cpa);
    const answers = await Promise.all([
      api<Series<ChannelShare>>(cards['channel-share']),
      api<Series<Voice>>(cards['share-of-voice']),
      api<Series<Visitors>>(cards.visitors),
      api<Series<EmailFigures>>(cards['email-rates']),
      api<z.infer<typeof referralTrafficResponseSchema>>(cards.referrals),
      api<z.infer<typeof attributionCompareResponseSchema>>(cards.models),
      api<z.infer<typeof emailResponseSchema>>(cards.email),
      api<z.infer<typeof funnelResponseSchema>>(cards.journey),
      api<z.infer<typeof adsResponseSchema>>(cards.ads),
      api<Visitors>(`/v1/metrics/visitors?${range}`),
      api<z.infer<typeof cartResponseSchema>>(`/v1/metrics/cart?${range}`),
      api<z.infer<typeof npsResponseSchema>>(`/v1/metrics/nps?${range}`),
      api<z.infer<typeof pathsResponseSchema>>(cards.paths),
    ]);
    if (mine !== loads) return;
    const [
      share,
      voice,
      visitors,
      email,
      referral,
      compare,
      emailTotals,
      funnel,
      ads,
      visitorTotals,
      cart,
      nps,
      paths,
    ] = answers;
    $('status').textContent = `${from} .. ${to}`;
    if (empty(cpa, emailTotals, nps, cart)) {
      show('empty', `No data in this range (${from} .. ${to})${channel === '' ? '' : ` for ${channel}`}.`);
      return;
    }
    // Shown before drawing: Chart.js sizes a chart from its container, which a hidden one lacks.
    show('ready');
    shownPaths = cards;
    showChannel(channel);
    const format = formatter(navigator.language, cpa.currency);
    drawJourney(
      journeyStages({
        funnel,
        cpa,
        ads,
        visitors: visitorTotals,
        email: emailTotals,
        cart,
        nps,
        voice: voice.points.map((p) => p.value),
      }),
      format,
    );
    drawSeries(share, voice, visitors, email);
    table('ads', 'platform', AD_COLUMNS, ads.rows, format);
    table('email', 'campaign', EMAIL_COLUMNS, emailTotals.rows, format, [
      { key: 'all campaigns', ...emailTotals.totals },
    ]);
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
    drawCpa(cpa, format);
    drawModels(compare, format);
    drawPaths(paths.paths);
  } catch (error) {
    if (mine === loads) fail(error);
  }
}

/**
 * Says which channel the filtered cards show; the journey map mixes filtered and unfiltered
 * figures, so its note says which are which.
 */
function showChannel(channel: string): void {
  document.querySelectorAll('[data-channel]').forEach((scope) => {
    scope.textContent = channel === '' ? 'all channels' : `channel: ${channel}`;
  });
  $('journey-note').hidden = channel === '';
  $('journey-note').textContent =
    `Only ${channel}: people, steps, conversions, CPA, repeat conversions and advocacy events. ` +
    'The other figures are all channels.';
}

function init(): void {
  const today = new Date().toISOString().slice(0, 10);
  $<HTMLInputElement>('to').value ||= today;
  $<HTMLInputElement>('from').value ||= new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10);
  $<HTMLInputElement>('key').value = sessionStorage.getItem(KEY_STORAGE) ?? '';
  $<HTMLSelectElement>('channel').value = sessionStorage.getItem(CHANNEL_STORAGE) ?? '';
  $('load').addEventListener('click', () => {
    sessionStorage.setItem(KEY_STORAGE, $<HTMLInputElement>('key').value.trim());
    sessionStorage.setItem(CHANNEL_STORAGE, $<HTMLSelectElement>('channel').value);
    void load();
  });
  // One listener for every card's button.
  $('charts').addEventListener('click', (event) => {
    const card = (event.target as Element).closest<HTMLElement>('button[data-card]')?.dataset.card;
    const path = shownPaths?.[card as Card];
    if (path) void downloadCsv(path);
  });
}

init();
