/**
 * `npm run bench`: the version 2 (lake) figures, printed and written to BENCHMARKS.md.
 *
 * Sections, each in its own child process (so each peak RSS is its own): compute over 1M and 10M
 * events with the hand-written SQL yardstick and the lake builder's throughput and profile
 * (bench/compute-bench.ts), query latency over 10M events in 90 days (bench/query-bench.ts),
 * freshness over HTTP (bench/freshness.ts), the bundles (bench/bundles.ts), and the cost model
 * from those figures (bench/cost-model.ts).
 *
 * `node bench/run.ts --only=compute,query` runs some sections and takes the others from the last
 * run's results (kept in the temp folder); sizes can be changed with BENCH_* variables.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { BASELINE_SQL } from './baseline-sql.ts';
import { type BundleFigures, benchBundles } from './bundles.ts';
import type { ComputeBenchInput, ComputeBenchResult, ComputeRun } from './compute-bench.ts';
import { type CostSection, costModelMarkdown } from './cost-model.ts';
import type { FreshnessInput, FreshnessResult } from './freshness.ts';
import type { QueryBenchInput, QueryBenchResult } from './query-bench.ts';
import { median } from './stats.ts';
import { benchConfig, type ChildReport, runChild } from './support.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIZES = {
  computeEvents: env('BENCH_COMPUTE_EVENTS', 1_000_000),
  copies: env('BENCH_COPIES', 10),
  scaleCopies: env('BENCH_SCALE_COPIES', 12),
  campaigns: env('BENCH_CAMPAIGNS', 3000),
  profileDays: env('BENCH_PROFILE_DAYS', 12),
  queryEvents: env('BENCH_QUERY_EVENTS', 1_000_000),
  queryCampaigns: env('BENCH_QUERY_CAMPAIGNS', 5000),
  queryRepeats: env('BENCH_QUERY_REPEATS', 7),
  freshnessEvents: env('BENCH_FRESHNESS_EVENTS', 1_000_000),
  freshnessRuns: env('BENCH_FRESHNESS_RUNS', 3),
};

interface Results {
  compute?: ComputeBenchResult;
  query?: QueryBenchResult;
  /** The median run of the freshness runs, with every run. */
  freshness?: ChildReport<FreshnessResult> & { readonly runs?: ReadonlyArray<ChildReport<FreshnessResult>> };
  bundles?: BundleFigures[];
  startedAt?: string;
  seconds?: Record<string, number>;
}

const RESULTS_FILE = join(tmpdir(), 'attribution-bench-results.json');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const results: Results =
  only && existsSync(RESULTS_FILE) ? JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) : {};
results.seconds ??= {};
const wanted = (section: string) => !only || only.includes(section);
const save = () => writeFileSync(RESULTS_FILE, JSON.stringify(results));
const benchStarted = performance.now();

async function section<T>(name: string, work: () => Promise<T>): Promise<T> {
  process.stderr.write(`== ${name}\n`);
  const started = performance.now();
  const value = await work();
  (results.seconds as Record<string, number>)[name] = (performance.now() - started) / 1000;
  process.stderr.write(`== ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return value;
}

if (!only) results.startedAt = new Date().toISOString();
if (wanted('compute')) {
  results.compute = await section('compute', () =>
    runChild<ComputeBenchResult>('compute-bench.ts', {
      events: SIZES.computeEvents,
      copies: SIZES.copies,
      campaigns: SIZES.campaigns,
      profileDays: SIZES.profileDays,
      scaleCopies: SIZES.scaleCopies,
    } satisfies ComputeBenchInput),
  );
  save();
}
if (wanted('query')) {
  results.query = await section('query', () =>
    runChild<QueryBenchResult>('query-bench.ts', {
      events: SIZES.queryEvents,
      copies: SIZES.copies,
      campaigns: SIZES.queryCampaigns,
      days: 90,
      repeats: SIZES.queryRepeats,
    } satisfies QueryBenchInput),
  );
  save();
}
if (wanted('freshness')) {
  results.freshness = await section('freshness', async () => {
    // One run is one measurement on a shared machine: the figure is the median of a few, each a fresh runtime.
    const runs: Array<ChildReport<FreshnessResult>> = [];
    for (let run = 0; run < SIZES.freshnessRuns; run++) {
      runs.push(
        await runChild<ChildReport<FreshnessResult>>(
          'freshness.ts',
          {
            events: SIZES.freshnessEvents,
            senders: 4,
            timeoutMs: 300_000,
          } satisfies FreshnessInput,
          process.env.BENCH_FRESHNESS_AS_IS ? {} : { NODE_OPTIONS: '--openssl-legacy-provider' },
        ),
      );
    }
    // A run never counted in full sorts last.
    const ranked = [...runs].sort(
      (a, b) => (a.freshnessMs ?? Number.POSITIVE_INFINITY) - (b.freshnessMs ?? Number.POSITIVE_INFINITY),
    );
    const median = ranked[Math.floor((ranked.length - 1) / 2)] as ChildReport<FreshnessResult>;
    return { ...median, runs };
  });
  save();
}
if (wanted('bundles')) {
  results.bundles = await section('bundles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attribution-bench-bundles-'));
    try {
      return await benchBundles(dir, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  save();
}

// ---------------------------------------------------------------------------------------------
// BENCHMARKS.md

const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
};
const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const s = (ms: number, digits = 2) => `${fmt(ms / 1000, digits)} s`;
const msf = (ms: number) => (ms >= 10_000 ? s(ms, 1) : `${fmt(ms)} ms`);
const mbf = (mb: number) => `${fmt(mb)} MB`;
const pass = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
const config = benchConfig();
const { compute, query, freshness, bundles } = results;

say('# Benchmarks');
say();
say(
  `Written by \`npm run bench\` on ${(results.startedAt ?? new Date().toISOString()).slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${fmt(totalmem() / 1024 ** 3)} GiB. The machine is shared and noisy: figures are medians of repeated runs within one invocation of the bench; compare ratios more than absolutes. Every measured step runs in its own Node process against embedded s3rver + dynalite served by its parent.`,
);
say();

/** Everything the summary needs from one compute run. */
function computeFigures(run: ComputeRun) {
  const c = run.compute;
  const warm = median([...c.computeWarmMs]);
  const finalise = (c.finaliseMs.markov ?? 0) + (c.finaliseMs.shapley ?? 0);
  const total = warm + c.reduceMs + finalise;
  const baseline = run.baseline.medianMs;
  const agree = (a: Record<string, number>, b: Record<string, number>) =>
    Math.max(
      0,
      ...[...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => Math.abs((a[k] ?? 0) - (b[k] ?? 0))),
    );
  return {
    warm,
    finalise,
    total,
    baseline,
    ratio: total / baseline,
    computeRatio: warm / baseline,
    touchDiff: agree(c.touchesByChannel, run.baseline.touchesByChannel),
    lastTouchDiff: agree(c.lastTouchByChannel, run.baseline.lastTouchByChannel),
  };
}

// Summary of targets.
const summary: string[][] = [];
const ten = compute?.runs.at(-1);
const tenFigures = ten ? computeFigures(ten) : undefined;
if (compute && ten && tenFigures) {
  summary.push([
    `compute, ${fmt(ten.events)} events (1 bucket + reduce + Markov/Shapley finalisers, warm lake cache)`,
    '≤ 20 s on 2 cores',
    s(tenFigures.total, 1),
    pass(tenFigures.total <= 20_000),
  ]);
  for (const run of compute.runs) {
    const f = computeFigures(run);
    summary.push([
      `compute vs hand-written DuckDB SQL (channel share + last touch), ${fmt(run.events)} events`,
      '≤ 2×',
      `${fmt(f.ratio, 2)}× (computeBucket alone ${fmt(f.computeRatio, 2)}×)`,
      pass(f.ratio <= 2),
    ]);
  }
  const b = compute.build;
  const perCore = b.events / (b.buildCpuMs / 1000);
  summary.push([
    `lake build, raw gzip NDJSON in S3 → Parquet (${fmt(b.events)} events)`,
    '≥ 200,000 events/s/core',
    `${fmt(perCore)} events/s/core`,
    pass(perCore >= 200_000),
  ]);
}
if (freshness) {
  summary.push([
    `freshness, ${fmt(freshness.events)} events over HTTP (4 senders), last 202 → all counted`,
    '≤ 30 s',
    `${
      freshness.freshnessMs === undefined
        ? `not counted ${s(300_000, 0)} after the last 202`
        : s(freshness.freshnessMs, 1)
    }${freshness.runs && freshness.runs.length > 1 ? ` (median of ${freshness.runs.length} runs: ${freshness.runs.map((r) => (r.freshnessMs === undefined ? 'not counted' : s(r.freshnessMs, 1))).join(', ')})` : ''}`,
    pass(freshness.freshnessMs !== undefined && freshness.freshnessMs <= 30_000),
  ]);
}
if (query) {
  const limit: Record<number, number> = { 7: 300, 30: 300, 90: 1000 };
  for (const days of [7, 30, 90]) {
    const timings = query.query.timings.filter((t) => t.days === days);
    const worst = timings.reduce(
      (a, t) => (t.p95Ms > a.p95Ms ? t : a),
      timings[0] as (typeof timings)[number],
    );
    summary.push([
      `query p95, ${days}-day range (worst route: ${worst.route})`,
      `≤ ${fmt(limit[days] ?? 0)} ms`,
      `${fmt(worst.p95Ms)} ms`,
      pass(timings.every((t) => t.p95Ms <= (limit[days] ?? 0))),
    ]);
  }
  summary.push([
    'query function memory (peak RSS)',
    '≤ 512 MB',
    mbf(query.query.maxRssMb),
    pass(query.query.maxRssMb <= 512),
  ]);
}
let cost: CostSection | undefined;
if (compute && query && ten) {
  const c10 = ten.compute;
  const c1 = compute.runs[0]?.compute;
  const dayEvents = (events: number, days: number) => events / days;
  const q30 = query.query.timings.find((t) => t.days === 30 && t.route.startsWith('attribution markov'));
  const read30 = query.query.reads.find((r) => r.days === 30);
  cost = costModelMarkdown({
    batchEvents: 500,
    ingestMsPerBatch: compute.ingest.p50Ms,
    batchBodyBytes: compute.ingest.bodyBytes,
    rawBytesPerEvent: compute.raw.bytes / compute.dataset.lines,
    lakeBytesPerEvent: compute.lakeBytes / compute.build.events,
    loadFixedMs: compute.smallBuild.ms,
    loadCpuMsPerEvent: compute.build.buildCpuMs / compute.build.events,
    s3GetLatencyMs: 20,
    computeMap: compute.runs.map((run) => ({
      events: run.compute.events,
      ms: run.compute.fetchColdMs + run.compute.computeFirstMs,
    })),
    computeScanShare:
      c10.halfBucketMs === undefined
        ? 0.5
        : Math.min(
            1,
            Math.max(
              0,
              (2 * c10.halfBucketMs - median([...c10.computeWarmMs])) / median([...c10.computeWarmMs]),
            ),
          ),
    ...(compute.scale
      ? {
          computeScale: {
            windowEvents: compute.scale.windowEvents,
            buckets: compute.scale.buckets,
            ms: compute.scale.task.fetchMs + compute.scale.task.computeMs,
            peakRssMb: compute.scale.task.maxRssMb,
          },
        }
      : {}),
    reduceMs30: c10.reduceMs,
    dayResultBytes: [
      ...(c1 ? [{ eventsPerDay: dayEvents(c1.events, 60), bytes: c1.dayResultGzipBytes.median }] : []),
      { eventsPerDay: dayEvents(c10.events, 60), bytes: c10.dayResultGzipBytes.median },
    ],
    queryMs30: q30?.p50Ms ?? 0,
    queryRead30: {
      items: read30?.items ?? 0,
      rru: read30?.rru ?? 0,
      dayBytes: query.compute.dayResultGzipBytes.median,
    },
    lookbackDays: config.lookbackDays,
    scheduleWindowDays: config.scheduleWindowDays,
  });
  for (const { scenario, result } of cost.scenarios) {
    summary.push([
      `cost at ${fmt(scenario.eventsPerMonth)} events a month, 4 compute runs a day`,
      '≤ $0.10 per million events',
      `$${fmt(result.perMillion, result.perMillion < 1 ? 3 : 2)} per million (+ $${fmt(result.storagePerMillionMonth, 4)} per million per month kept)${result.breaks.length > 0 ? '; and as configured it does not keep up (see Cost)' : ''}`,
      pass(result.perMillion <= 0.1),
    ]);
  }
}
say('## Targets');
say();
say('| figure | target | measured | |');
say('|---|---|---:|---|');
for (const row of summary) say(`| ${row.join(' | ')} |`);
say();

if (compute) {
  const d = compute.dataset;
  say(
    `## Compute (every metric and all seven models, ${d.window.from} … ${d.window.to} with a ${config.lookbackDays}-day lookback)`,
  );
  say();
  say(
    `Data: ${fmt(d.lines)} synthetic raw events over ${d.days} UTC days (${d.from} … ${d.to}), ${fmt(d.users)} users (72% with 1–3 touches within hours, 24% with 4–15 over about two weeks, 4% with 16–165 over a month or more; 55% start anonymous and some identify later; ~3% convert, some twice), ${fmt(d.campaigns)} campaigns over all 19 channel ids of docs/channels.md (GA4 UTM rules, click ids, ad platforms and networks, search / social / video / shopping referrers, referral sites, e-mail), internal navigation, e-mail sends, deliveries and bounces (about half of the delivered e-mails opened), carts before 80% of purchases and abandoned by 4% of the other users (add, sometimes checkout), survey answers (30% of converters say how they heard of us, as channel ids or word of mouth; 15% give an NPS score 0–10), shares of 0.4% of touches and 3% of purchases, refunds of 4% of purchases within 2 weeks (\`refundOf\`, 40% partial), 0.3% redelivered copies, and per day ad impressions aggregated with counts and costs per active campaign, competitors' auction-insight rows and search-volume rows. Seeded, so every run has the same events. The 1M lake is built by the real builder from the raw zone (below); the ${fmt(compute.runs.at(-1)?.events ?? 0)}-event lake is that lake with its users repeated ${SIZES.copies}× under new ids (bench/replicate.ts: ids suffixed, timestamps moved by the copy number in ms; aggregated rows repeated too), written by DuckDB in ${s(compute.replicateMs, 0)}: going through the builder would take about ${s(SIZES.copies * compute.build.ms, 0)} at its measured speed.`,
  );
  say();
  say(
    `Measured in a child process with the compute function's settings (DuckDB memory limit ${ten?.compute.duckdbMemoryLimit ?? '1.5GB'}, ${ten?.compute.duckdbThreads ?? '?'} threads = the cores here; the deployed function has 3,008 MB and 2 vCPUs). "Warm" is computeBucket with the lake cache filled (each call still revalidates every partition with a conditional GET and opens a fresh DuckDB); "first" is the first computeBucket of the process after the cold fetch. The yardstick is bench/baseline-task.ts: the same files through the same lake cache, a fresh DuckDB, one CREATE TABLE of the window's events with persons resolved, channel share on touches and last touch by an ASOF JOIN — both sets of answers must agree with the pipeline's.`,
  );
  say();
  say(
    '| events read | cold fetch | first compute | compute (warm, median) | reduce (write days) | read days back | Markov + Shapley finalisers | **total** (warm + reduce + finalisers) | peak RSS | hand-written SQL (median of 3) | SQL peak RSS | ratio total / SQL | computeBucket / SQL | answers agree (max diff touches / last-touch conversions) |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const run of compute.runs) {
    const c = run.compute;
    const f = computeFigures(run);
    say(
      `| ${fmt(run.events)} | ${msf(c.fetchColdMs)} | ${msf(c.computeFirstMs)} | ${msf(f.warm)} | ${msf(c.reduceMs)} | ${msf(c.readBackMs)} | ${msf(f.finalise)} | **${msf(f.total)}** | ${mbf(c.maxRssMb)} | ${msf(f.baseline)} | ${mbf(run.baseline.maxRssMb)} | ${fmt(f.ratio, 2)}× | ${fmt(f.computeRatio, 2)}× | ${f.touchDiff === 0 && f.lastTouchDiff === 0 ? 'yes, exactly' : `${fmt(f.touchDiff, 3)} / ${fmt(f.lastTouchDiff, 3)}`} |`,
    );
  }
  say();
  const last = compute.runs.at(-1)?.compute;
  if (last) {
    say(
      `Query-time finalisers over the ${last.days}-day range at ${fmt(compute.runs.at(-1)?.events ?? 0)} events (${fmt(last.conversions)} conversions, ${last.channels} channels, ${fmt(last.campaignRows)} campaign rows under Shapley), each once:`,
    );
    say();
    say(`| ${Object.keys(last.finaliseMs).join(' | ')} |`);
    say(
      `|${Object.keys(last.finaliseMs)
        .map(() => '---:')
        .join('|')}|`,
    );
    say(
      `| ${Object.values(last.finaliseMs)
        .map((v) => `${fmt(v)} ms`)
        .join(' | ')} |`,
    );
    say();
    if (last.halfBucketMs !== undefined) {
      const warm = median([...last.computeWarmMs]);
      say(
        `Bucket 0 of 2 takes ${msf(last.halfBucketMs)} against ${msf(warm)} for the one bucket: ${fmt(((2 * last.halfBucketMs - warm) / warm) * 100)}% of a bucket's work is repeated by every bucket (each reads, resolves and deduplicates the whole window before \`window-events.sql\` keeps its persons), so splitting into B buckets costs about ${fmt((2 * last.halfBucketMs) / warm, 2)}× the one-bucket work at B = 2.`,
      );
      say();
    }
    const scale = compute.scale;
    if (scale) {
      const t = scale.task;
      say(
        `**One bucket of many over a large window** (bench/bucket-task.ts): the 10M lake repeated ${SIZES.scaleCopies}× again (${fmt(scale.windowEvents)} events in the window; ${fmt(scale.lakeBytes / 1024 ** 2)} MB of events Parquet, replicated in ${fmt(scale.replicateMs / 1000)} s), bucket 0 of ${scale.buckets} (about 10M events each, as \`computeBuckets: auto\` sizes them for the builder's Parquet): cold fetch ${msf(t.fetchMs)}, compute **${fmt(t.computeMs / 1000, 1)} s** for its ${fmt(t.bucketEvents)} events, peak RSS **${fmt(t.maxRssMb)} MB** (the compute function has 3,008 MB), work folder (/tmp on Lambda) at most ${fmt(t.peakWorkDirMb)} MB: the lake cache and DuckDB's spill files. Every bucket reads, resolves and deduplicates the whole window before keeping its persons.`,
      );
      say();
    }
    say(
      `Stored day results: ${fmt(last.dayResultGzipBytes.median / 1024)} KB gzip per day (median; max ${fmt(last.dayResultGzipBytes.max / 1024)} KB) at ${fmt((compute.runs.at(-1)?.events ?? 0) / 60)} events a day.`,
    );
    say();
  }
  const cp = compute.computeProfile;
  if (cp) {
    const sum = cp.statements.reduce((a, st) => a + st.ms, 0);
    say(
      `Where computeBucket's time goes at ${fmt(compute.runs.at(-1)?.events ?? 0)} events (bench/compute-profile.ts: its statements replayed one by one, warm cache, same settings; ${s(cp.totalMs, 1)} in all):`,
    );
    say();
    say('| statement | time | share | rows |');
    say('|---|---:|---:|---:|');
    for (const st of [...cp.statements].sort((a, b) => b.ms - a.ms))
      say(
        `| ${st.name} | ${msf(st.ms)} | ${fmt((st.ms / sum) * 100)}% | ${st.rows === undefined ? '' : fmt(st.rows)} |`,
      );
    say();
  }
  say('Hand-written SQL:');
  say();
  say('```sql');
  say(`${BASELINE_SQL.events};\n${BASELINE_SQL.channelShare};\n${BASELINE_SQL.lastTouch};`);
  say('```');
  say();

  // Lake build.
  const b = compute.build;
  const cores = b.buildCpuMs / b.ms;
  say('## Lake build (raw gzip NDJSON objects in S3 → Parquet partitions)');
  say();
  say(
    `\`refreshLakeDays\` building all ${compute.dataset.days} days whole, one engine session (as a replay or a compute job builds a day; the load function appends each batch as a part with the same builder) (DuckDB memory limit 1GB as deployed, ${b.duckdbThreads} threads: DuckDB's default of one per core). The raw zone was written with \`S3RawStore.putEvents\` in objects of 500 events (${fmt(compute.raw.objects)} objects in ${s(compute.raw.writeMs, 1)}). The builder runs in its own process; its parent serves S3, so the CPU time below is the builder's own (JS thread + DuckDB threads + gunzip pool).`,
  );
  say();
  say(
    '| events (one per eventId) | copies dropped | raw objects | wall | CPU | cores busy | events/s | **events/s/core** | peak RSS | raw gzip / event | lake Parquet / event |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  say(
    `| ${fmt(b.events)} | ${fmt(b.duplicates)} | ${fmt(b.objects)} | ${s(b.ms, 1)} | ${s(b.buildCpuMs, 1)} | ${fmt(cores, 2)} | ${fmt(b.events / (b.ms / 1000))} | **${fmt(b.events / (b.buildCpuMs / 1000))}** | ${mbf(b.maxRssMb)} | ${fmt(compute.raw.bytes / compute.dataset.lines, 1)} B | ${fmt(compute.lakeBytes / b.events, 1)} B |`,
  );
  say();
  say(
    `The least a load invocation does (one day with a single 400-event object): ${fmt(compute.smallBuild.ms)} ms. Target ≥ 200,000 events/s/core: the builder is ${fmt(200_000 / (b.events / (b.buildCpuMs / 1000)), 0)}× below it.`,
  );
  say();
  const p = compute.profile;
  const total = Object.values(p.steps).reduce((a, v) => a + v, 0);
  say(
    `### Where the builder's time goes (bench/lake-profile.ts: ${fmt(p.events)} events, ${fmt(p.objects)} objects, ${SIZES.profileDays} of the days, replayed step by step)`,
  );
  say();
  say('| step | wall | µs per event | share |');
  say('|---|---:|---:|---:|');
  for (const [step, ms] of Object.entries(p.steps))
    say(`| ${step} | ${fmt(ms)} ms | ${fmt((ms * 1000) / p.events, 1)} | ${fmt((ms / total) * 100)}% |`);
  say(`| **sum** | ${fmt(total)} ms | ${fmt((total * 1000) / p.events, 1)} | |`);
  say(
    `| the real builder on the same days (same process, warm) | ${fmt(p.builder.ms)} ms (CPU ${fmt(p.builder.cpuMs)} ms) | ${fmt((p.builder.ms * 1000) / p.events, 1)} | |`,
  );
  say();
  say(
    'DuckDB COPY is multi-threaded; every other step runs on the one JS thread (gunzip on the libuv pool), which waits while COPY runs. URL parsing inside classify (`new URL` of each url and referrer) costs ' +
      `${fmt(p.urlParseUs, 2)} µs per URL here.`,
  );
  say();
  say('Each idea, measured on the same inputs (bench/lake-profile.ts):');
  say();
  say('| idea | replaces | before | after | saved µs per event |');
  say('|---|---|---:|---:|---:|');
  for (const idea of p.ideas)
    say(
      `| ${idea.idea} | ${idea.replaces} | ${fmt(idea.beforeMs)} ms | ${fmt(idea.afterMs)} ms | ${fmt(((idea.beforeMs - idea.afterMs) * 1000) / p.events, 1)} |`,
    );
  say(
    `| two days in flight (two engine sessions, the real builder) | one day after another | ${fmt(p.builder.ms)} ms | ${fmt(p.parallel.ms)} ms | ${fmt(((p.builder.ms - p.parallel.ms) * 1000) / p.events, 1)} (wall; CPU ${fmt(p.parallel.cpuMs)} ms) |`,
  );
  say();
  const protoPerCore = p.events / (p.prototype.cpuMs / 1000);
  if (p.sqlFirst)
    say(
      `A SQL-first builder's floor (DuckDB reads the day's gzip NDJSON itself as typed structs, dedupes, extracts the fields, takes UTM tags, click ids and the referrer host apart with regexps, sorts, writes zstd Parquet; the real channel classifier runs on the ${fmt(p.sqlFirst.tuples)} distinct signal tuples only — not every lake column, an estimate of the cost): ${s(p.sqlFirst.ms, 2)} wall, ${s(p.sqlFirst.cpuMs, 2)} CPU = **${fmt(p.events / (p.sqlFirst.cpuMs / 1000))} events/s/core**, against ${fmt(p.events / (p.builder.cpuMs / 1000))} for the builder on the same days (which also does its S3 reads; this starts from the objects in memory).`,
    );
  say();
  say(
    `All of them together (a prototype builder in bench/lake-profile.ts: GETs 16 at a time, gunzip in parallel, JSON.parse and an envelope check instead of zod, the memoised classifier (${fmt(p.classifierCache.channelKeys)} distinct signal keys, ${fmt(p.classifierCache.hosts)} referrer hosts), rows staged with one JSON.stringify each and mapped to columns in SQL, the same sorted zstd COPY): ${s(p.prototype.ms, 2)} wall, ${s(p.prototype.cpuMs, 2)} CPU for the ${fmt(p.events)} events = **${fmt(protoPerCore)} events/s/core** (${fmt(protoPerCore / (p.events / (p.builder.cpuMs / 1000)), 1)}× the builder's ${fmt(p.events / (p.builder.cpuMs / 1000))} on the same days); two days in flight: ${s(p.prototype.parallelMs, 2)} wall, ${fmt(p.events / (p.prototype.parallelMs / 1000))} events/s. Its Parquet for the first day is ${p.prototype.differingRows === 0 ? 'identical to the builder’s, row for row (EXCEPT ALL both ways: 0 rows)' : `different from the builder’s in ${fmt(p.prototype.differingRows)} rows`}.`,
  );
  say();
}

if (freshness) {
  const f = freshness;
  say(`## Freshness (${fmt(f.events)} events over HTTP, 4 concurrent senders, batches of 500)`);
  say();
  say(
    `A \`startLocalRuntime\` (port 0, compute on load as by default, no schedule) in one process; the senders in a worker thread of it send the events of the last 24 hours (${f.from} and ${f.to} UTC) in time order; the main thread polls \`GET /v1/metrics/channel-share?basis=touches\` every 250 ms until its total is the ${fmt(f.expectedTouches)} touches the events hold (one per eventId, weighted by count, as the classifier counts them).`,
  );
  say();
  say(
    '| sent | send time | ingest rate | slowest 202 | retried sends | touches counted at the last 202 | **last 202 → all counted** | load messages dead-lettered | peak RSS (runtime + senders) |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of f.runs ?? [f]) {
    say(
      `| ${fmt(r.sender.sent)} (${fmt(r.sender.duplicates)} repeats within a batch) | ${s(r.sendMs, 1)} | ${fmt(r.sender.sent / (r.sendMs / 1000))} events/s | ${fmt(r.sender.slowestMs)} ms | ${fmt(r.sender.retries)} ${
        Object.keys(r.sender.errors).length > 0
          ? `(${Object.entries(r.sender.errors)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      } | ${fmt((r.touchesAtLastAck / r.expectedTouches) * 100)}% | ${r.freshnessMs === undefined ? `not within ${s(300_000, 0)} (${fmt((r.touchesAtEnd / r.expectedTouches) * 100)}% counted)` : s(r.freshnessMs, 1)} | ${fmt(r.deadLetters)} | ${mbf(r.maxRssMb)} |`,
    );
  }
  say();
  if (f.runs && f.runs.length > 1)
    say(
      `${f.runs.length} runs, one after another, each a fresh process and runtime; the figure is their median, **${f.freshnessMs === undefined ? 'not counted' : s(f.freshnessMs, 1)}**, and the rest of this section is that run's.`,
    );
  say();
  if (f.afterLastAck.length > 0)
    say(
      `After the last 202 (polled every 250 ms): ${f.afterLastAck.map((e) => `+${fmt(e.s, 1)} s ${e.what}`).join('; ')}. Each load batch appends what arrived to today's partition as a part (more than 16 parts are merged into one), then the runtime computes the touched days: ${fmt((f.touchesAtLastAck / f.expectedTouches) * 100)}% of the touches were counted at the last 202; after it, the last batch's append and one compute.`,
    );
  say();
  if (f.lakeDays)
    say(
      `Lake at the end: ${Object.entries(f.lakeDays)
        .map(([date, d]) => `${date}: ${fmt(d.lake)} of ${fmt(d.raw)} events`)
        .join('; ')}.`,
    );
  say();
  say(
    f.legacyOpenSsl
      ? 'Run with `--openssl-legacy-provider`: s3rver (the local S3) encrypts ListObjectsV2 continuation tokens with DES, which Node 22’s OpenSSL 3 only offers in its legacy provider. Without the flag every LIST of a prefix holding more than 1,000 objects fails with InternalError, so the local runtime cannot rebuild a UTC day of more than 1,000 raw objects (500,000 events in 500-event batches): in a 1M run, every load batch naming today failed its three deliveries and went to the dead-letter list (1,808 messages), today’s partition kept the 454,606 of 900,929 events it had before crossing 1,000 objects, and the counts never matched. `BENCH_FRESHNESS_AS_IS=1` runs without the flag.'
      : 'Run WITHOUT `--openssl-legacy-provider` (`BENCH_FRESHNESS_AS_IS`): see the lake line above for what the local runtime managed.',
  );
  say();
}

if (query) {
  say(
    `## Query latency (${fmt(query.compute.events)} events over 90 days, ${fmt(query.dataset.campaigns)} campaigns, through the query handler)`,
  );
  say();
  say(
    `The lake: ${fmt(query.dataset.lines)} generated events built by the real builder (${s(query.buildMs, 0)}), repeated ${SIZES.copies}× (bench/replicate.ts, ${s(query.replicateMs, 0)}); one compute of all 90 days (one bucket: cold fetch ${s(query.compute.fetchColdMs, 1)}, compute ${s(query.compute.computeFirstMs, 1)}, reduce ${s(query.compute.reduceMs, 1)}, peak RSS ${mbf(query.compute.maxRssMb)}; day results ${fmt(query.compute.dayResultGzipBytes.median / 1024)} KB gzip each). Then, in a fresh process, \`createQueryHandler\` called with API Gateway events (auth, results read from DynamoDB, zod, finalisers, JSON): each route and range once to warm up, then ${SIZES.queryRepeats} times. First request of the process: ${fmt(query.query.firstRequestMs)} ms.`,
  );
  say();
  say('| route | 7 days p50 / p95 | 30 days p50 / p95 | 90 days p50 / p95 | response (90 days) |');
  say('|---|---:|---:|---:|---:|');
  const routes = [...new Set(query.query.timings.map((t) => t.route))];
  for (const route of routes) {
    const cell = (days: number) => {
      const t = query.query.timings.find((x) => x.route === route && x.days === days);
      return t ? `${fmt(t.p50Ms)} / ${fmt(t.p95Ms)} ms` : '';
    };
    const t90 = query.query.timings.find((x) => x.route === route && x.days === 90);
    say(
      `| ${route} | ${cell(7)} | ${cell(30)} | ${cell(90)} | ${fmt((t90?.responseBytes ?? 0) / 1024)} KB, ${fmt(t90?.rows ?? 0)} rows |`,
    );
  }
  say();
  const answered = query.query.timings.filter((t) => t.days === 90 && t.figures);
  if (answered.length > 0) {
    say(
      `What the routes answering one set of figures said over 90 days: ${answered
        .map(
          (t) =>
            `${t.route}: ${Object.entries(t.figures ?? {})
              .map(([k, v]) => `${k} ${Number.isInteger(v) ? fmt(v) : v.toFixed(3)}`)
              .join(', ')}`,
        )
        .join('; ')}.`,
    );
    say();
  }
  say(
    `Targets: p95 ≤ 300 ms (7 and 30 days), ≤ 1 s (90 days). Peak RSS of the query process: ${mbf(query.query.maxRssMb)} (target ≤ 512 MB).`,
  );
  say();
  if (query.query.reads) {
    say(
      `Where it goes: reading every section of the stored results covering the range (a route reads only the one to three sections it finalises; BatchGetItem of the heads of the fewest blocks of 4–256 days and single days that cover it and of the item of day versions their fingerprints are checked against, then their chunks; gunzip, JSON.parse, zod) takes ${query.query.reads.map((r) => `${fmt(r.readMs)} ms for ${r.days} days (${fmt(r.readWithoutZodMs)} ms of it without the zod check; ${r.items} items, ${fmt(r.rru, 1)} RRU)`).join(', ')}; merging and finalising is the rest of each request. Nothing is kept between requests.`,
    );
    say();
  }
}

if (cost) for (const line of cost.markdown) say(line);
say();

if (bundles) {
  const kb = (bytes: number) => `${fmt(bytes / 1024)} KB`;
  say(
    '## Bundles (esbuild as CDK `NodejsFunction` builds them: ESM, node22, minified, linked source map, AWS SDK bundled in)',
  );
  say();
  say(
    '| function | minified | gzip | source map | module init (median of 5 fresh processes) | init with `--enable-source-maps` | largest parts |',
  );
  say('|---|---:|---:|---:|---:|---:|---|');
  for (const b of bundles) {
    const parts = b.packages
      .slice(0, 3)
      .map(([name, bytes]) => `${name} ${kb(bytes)}`)
      .join(', ');
    say(
      `| ${b.name} | ${kb(b.bytes)} | ${kb(b.gzipBytes)} | ${kb(b.mapBytes)} | ${fmt(b.initMs)} ms | ${fmt(b.initMsSourceMaps)} ms | ${parts} |`,
    );
  }
  say();
  say(
    "Module init is `await import(bundle)` in a fresh `node` with the handlers' environment set; handlers build their clients on the first invocation, so init touches no AWS. Lambda adds its own runtime start to this. The engine functions (load, compute) ship the DuckDB binding beside the bundle.",
  );
  say();
}

const seconds = results.seconds ?? {};
say(
  `Bench sections took ${Object.entries(seconds)
    .map(([name, sec]) => `${name} ${fmt(sec)} s`)
    .join(
      ', ',
    )}${only ? ` (this invocation re-ran ${only.join(', ')}; the rest are from the run of ${results.startedAt?.slice(0, 16)})` : ''}.`,
);
writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
process.stdout.write(
  `${lines.join('\n')}\n\nwritten to BENCHMARKS.md in ${fmt((performance.now() - benchStarted) / 1000)} s\n`,
);
