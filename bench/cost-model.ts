/**
 * $ per million events on AWS (us-east-1, arm64 Lambda), from the figures `npm run bench`
 * measures and published prices. Pure: run.ts passes the measurements in and prints the lines.
 */

/** A published price and where it comes from. */
export interface Price {
  /** Per single unit (one request, one GB-second, ...). */
  readonly usd: number;
  /** As the price page quotes it. */
  readonly quoted: string;
  readonly unit: string;
  readonly source: string;
}

/**
 * us-east-1 list prices (no free tier, first pricing tier). The AWS pricing pages render their
 * rate tables client-side, so the figures were checked against the pages' worked examples and
 * third-party transcriptions of them, as noted; re-check before quoting.
 */
export const PRICES = {
  lambdaGbSecond: {
    quoted: '$0.0000133334 per GB-s',
    usd: 0.0000133334,
    unit: 'duration, arm64, first 6 billion GB-s a month',
    source: 'AWS Lambda pricing page, Arm price (same figure in artillery’s lambda price table)',
  },
  lambdaRequest: {
    quoted: '$0.20 per 1M requests',
    usd: 0.2 / 1e6,
    unit: 'Lambda requests',
    source: 'AWS Lambda pricing page (the page’s request-charge examples)',
  },
  httpApiRequest: {
    quoted: '$1.00 per 1M requests',
    usd: 1.0 / 1e6,
    unit: 'HTTP API requests, first 300 million a month; metered in 512 KB increments',
    source: 'Amazon API Gateway pricing page, HTTP APIs (worked example; AWS launch post 2019)',
  },
  s3Put: {
    quoted: '$0.005 per 1,000',
    usd: 0.005 / 1000,
    unit: 'S3 Standard PUT, COPY, POST, LIST requests',
    source: 'Amazon S3 pricing page, S3 Standard requests',
  },
  s3Get: {
    quoted: '$0.0004 per 1,000',
    usd: 0.0004 / 1000,
    unit: 'S3 Standard GET, SELECT requests',
    source: 'Amazon S3 pricing page, S3 Standard requests',
  },
  s3StorageGbMonth: {
    quoted: '$0.023 per GB-month',
    usd: 0.023,
    unit: 'S3 Standard storage, first 50 TB',
    source: 'Amazon S3 pricing page, storage',
  },
  sqsRequest: {
    quoted: '$0.40 per 1M requests',
    usd: 0.4 / 1e6,
    unit: 'SQS standard queue requests, each 64 KB chunk a request',
    source: 'Amazon SQS pricing page, standard queues',
  },
  dynamoWru: {
    quoted: '$0.625 per 1M WRU',
    usd: 0.625 / 1e6,
    unit: 'DynamoDB on-demand writes, 1 WRU per started KB',
    source: 'Amazon DynamoDB on-demand pricing page (after the November 2024 cut)',
  },
  dynamoRru: {
    quoted: '$0.125 per 1M RRU',
    usd: 0.125 / 1e6,
    unit: 'DynamoDB on-demand reads, 1 RRU per 4 KB strongly consistent, ½ eventually',
    source: 'Amazon DynamoDB on-demand pricing page (after the November 2024 cut)',
  },
  dynamoStorageGbMonth: {
    quoted: '$0.25 per GB-month',
    usd: 0.25,
    unit: 'DynamoDB Standard table class storage, beyond 25 GB free',
    source: 'Amazon DynamoDB on-demand pricing page, storage (not re-checked)',
  },
} as const satisfies Record<string, Price>;

/** Memory per function (MB). CPU scales with memory; 1769 MB is one full vCPU. */
export const MEMORY_MB = { ingest: 1024, load: 1024, compute: 1769 } as const;

export interface CostInputs {
  readonly batchEvents: number;
  /** Ingest handler p50 per 500-event batch (with the S3 write), ms. */
  readonly ingestMsPerBatch: number;
  /** Load handler p50 per raw object of 500 events, ms. */
  readonly loadMsPerObject: number;
  /** Compute map time per event, µs (streaming map task). */
  readonly mapUsPerEvent: number;
  /** Scan + unmarshal + validate per item against the embedded DynamoDB (a note, not in the total). */
  readonly scanUsPerItem: number;
  readonly batchBodyBytes: number;
  readonly itemBytes: number;
  readonly wruPerItem: number;
  readonly gzipBytesPerEvent: number;
  readonly retentionDays: number;
  readonly lookbackDays: number;
  readonly scheduleWindowDays: number;
  /** Scheduled compute runs per day (the CDK default, `deploy.computeSchedule`, is every 6 hours). */
  readonly computeRunsPerDay: number;
}

export interface CostLine {
  readonly service: string;
  readonly term: string;
  readonly formula: string;
  /** Billed quantity per million events, with its unit. */
  readonly quantity: string;
  readonly usd: number;
  /** Recurring monthly storage rather than a one-off per event. */
  readonly monthly?: boolean;
}

export interface CostModel {
  readonly lines: readonly CostLine[];
  /** One-off per million events: requests, compute, reads over the events' stay in the table. */
  readonly perMillion: number;
  /** Storage per million events per month kept (raw zone) or over their retention (DynamoDB). */
  readonly storage: number;
}

const MILLION = 1e6;
const GIB = 1024 ** 3;
const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function gbSeconds(ms: number, memoryMb: number): number {
  // Lambda bills duration in 1 ms increments.
  return (Math.ceil(ms) / 1000) * (memoryMb / 1024);
}

/** The itemised $ per million events. */
export function costModel(inputs: CostInputs): CostModel {
  const N = MILLION;
  const batches = N / inputs.batchEvents;
  const httpUnits = Math.ceil(inputs.batchBodyBytes / (512 * 1024));
  const ingestGbS = batches * gbSeconds(inputs.ingestMsPerBatch, MEMORY_MB.ingest);
  const loadGbS = batches * gbSeconds(inputs.loadMsPerObject, MEMORY_MB.load);
  const mappedDays = inputs.lookbackDays + inputs.scheduleWindowDays;
  const mapsPerEvent = inputs.computeRunsPerDay * mappedDays;
  const computeGbS = N * mapsPerEvent * (inputs.mapUsPerEvent / 1e6) * (MEMORY_MB.compute / 1024);
  const scansPerEvent = inputs.computeRunsPerDay * inputs.retentionDays;
  const rruPerScan = (inputs.itemBytes / 4096) * 0.5;
  const sqsPerObject = 3;
  const rawGb = (N * inputs.gzipBytesPerEvent) / GIB;
  const tableGb = (N * (inputs.itemBytes + 100)) / GIB;
  const lines: CostLine[] = [
    {
      service: 'API Gateway HTTP API',
      term: '`POST /v1/events` requests',
      formula: `N/500 × ⌈body / 512 KB⌉ (body ${fmt(inputs.batchBodyBytes / 1024)} KB → ${httpUnits})`,
      quantity: `${fmt(batches * httpUnits)} requests`,
      usd: batches * httpUnits * PRICES.httpApiRequest.usd,
    },
    {
      service: 'Lambda ingest',
      term: 'invocations',
      formula: 'N/500',
      quantity: `${fmt(batches)} requests`,
      usd: batches * PRICES.lambdaRequest.usd,
    },
    {
      service: 'Lambda ingest',
      term: 'duration',
      formula: `N/500 × ⌈${inputs.ingestMsPerBatch.toFixed(1)} ms⌉ × ${MEMORY_MB.ingest / 1024} GB`,
      quantity: `${fmt(ingestGbS, 1)} GB-s`,
      usd: ingestGbS * PRICES.lambdaGbSecond.usd,
    },
    {
      service: 'S3',
      term: 'PUT of the raw object',
      formula: 'N/500 × 1 (one object per batch and UTC day)',
      quantity: `${fmt(batches)} PUTs`,
      usd: batches * PRICES.s3Put.usd,
    },
    {
      service: 'SQS',
      term: 'send (S3 notification), receive, delete',
      formula: `N/500 × ${sqsPerObject} (no batching assumed)`,
      quantity: `${fmt(batches * sqsPerObject)} requests`,
      usd: batches * sqsPerObject * PRICES.sqsRequest.usd,
    },
    {
      service: 'Lambda load',
      term: 'invocations',
      formula: 'N/500 (SQS batch size 1 assumed)',
      quantity: `${fmt(batches)} requests`,
      usd: batches * PRICES.lambdaRequest.usd,
    },
    {
      service: 'Lambda load',
      term: 'duration',
      formula: `N/500 × ⌈${inputs.loadMsPerObject.toFixed(1)} ms⌉ × ${MEMORY_MB.load / 1024} GB`,
      quantity: `${fmt(loadGbS, 1)} GB-s`,
      usd: loadGbS * PRICES.lambdaGbSecond.usd,
    },
    {
      service: 'S3',
      term: 'GET of the raw object',
      formula: 'N/500 × 1',
      quantity: `${fmt(batches)} GETs`,
      usd: batches * PRICES.s3Get.usd,
    },
    {
      service: 'DynamoDB',
      term: 'events-table writes',
      formula: `N × ${inputs.wruPerItem.toFixed(2)} WRU (items ${fmt(inputs.itemBytes)} B ≤ 1 KB)`,
      quantity: `${fmt(N * inputs.wruPerItem)} WRU`,
      usd: N * inputs.wruPerItem * PRICES.dynamoWru.usd,
    },
    {
      service: 'DynamoDB',
      term: 'compute scans (whole table, every run)',
      formula: `N × ${inputs.computeRunsPerDay} runs/day × ${inputs.retentionDays} days × ${fmt(inputs.itemBytes)} B / 4 KB × ½`,
      quantity: `${fmt(N * scansPerEvent * rruPerScan)} RRU`,
      usd: N * scansPerEvent * rruPerScan * PRICES.dynamoRru.usd,
    },
    {
      service: 'Lambda compute',
      term: 'map duration (CPU only)',
      formula: `N × ${inputs.computeRunsPerDay} runs/day × ${mappedDays} days × ${inputs.mapUsPerEvent.toFixed(2)} µs × ${(MEMORY_MB.compute / 1024).toFixed(3)} GB`,
      quantity: `${fmt(computeGbS, 1)} GB-s`,
      usd: computeGbS * PRICES.lambdaGbSecond.usd,
    },
    {
      service: 'S3',
      term: 'raw zone storage, per month kept',
      formula: `N × ${inputs.gzipBytesPerEvent.toFixed(1)} B gzip`,
      quantity: `${fmt(rawGb, 4)} GB-month`,
      usd: rawGb * PRICES.s3StorageGbMonth.usd,
      monthly: true,
    },
    {
      service: 'DynamoDB',
      term: `events-table storage over ${inputs.retentionDays} days`,
      formula: `N × (${fmt(inputs.itemBytes)} + 100 B overhead) × ${(inputs.retentionDays / 30).toFixed(1)} months`,
      quantity: `${fmt(tableGb * (inputs.retentionDays / 30), 3)} GB-month`,
      usd: tableGb * (inputs.retentionDays / 30) * PRICES.dynamoStorageGbMonth.usd,
      monthly: true,
    },
  ];
  const perMillion = lines.filter((l) => !l.monthly).reduce((sum, l) => sum + l.usd, 0);
  const storage = lines.filter((l) => l.monthly).reduce((sum, l) => sum + l.usd, 0);
  return { lines, perMillion, storage };
}

const usd = (value: number) =>
  value >= 1 ? `$${value.toFixed(2)}` : value >= 0.01 ? `$${value.toFixed(3)}` : `$${value.toFixed(5)}`;

const percent = (share: number) => `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;

/** The BENCHMARKS.md section: prices, assumptions, the itemised model, sensitivity. */
export function costModelMarkdown(inputs: CostInputs): string[] {
  const model = costModel(inputs);
  const out: string[] = [];
  out.push('## Cost model ($ per million events, AWS us-east-1, arm64 Lambda, on-demand everything)');
  out.push('');
  out.push('Prices used (list prices, no free tier, first tier):');
  out.push('');
  out.push('| price | what | source |');
  out.push('|---|---|---|');
  for (const price of Object.values(PRICES) as Price[])
    out.push(`| ${price.quoted} | ${price.unit} | ${price.source} |`);
  out.push('');
  out.push(
    'Checked in November 2026 against the AWS pages’ worked examples and third-party transcriptions (the pages render their rate tables client-side): Lambda arm64 GB-s and requests, HTTP API $1.00, S3 requests and storage, SQS, DynamoDB WRU/RRU after the November 2024 on-demand cut. Not re-checked: HTTP API 512 KB metering, DynamoDB storage.',
  );
  out.push('');
  out.push(
    `Assumptions: ${inputs.batchEvents}-event batches, one raw object per batch; memory ingest ${MEMORY_MB.ingest} MB, load ${MEMORY_MB.load} MB, compute ${MEMORY_MB.compute} MB (one vCPU); durations are this machine's ${process.arch} p50s, billed as if they were the same on arm64; ${inputs.computeRunsPerDay} scheduled compute runs a day over a ${inputs.scheduleWindowDays}-day window with a ${inputs.lookbackDays}-day lookback; events stay ${inputs.retentionDays} days in the events table.`,
  );
  out.push(
    'Measured inputs: ingest p50 per batch (the ingest table above, with the S3 write), load p50 per object and the sizes (the load section above), map µs per event (the streaming compute row above).',
  );
  out.push('');
  out.push('| service | term | formula (N = 1,000,000 events) | quantity | $ per million events |');
  out.push('|---|---|---|---:|---:|');
  for (const line of model.lines)
    out.push(`| ${line.service} | ${line.term} | ${line.formula} | ${line.quantity} | ${usd(line.usd)} |`);
  out.push(`| **total** | requests, compute, reads and writes | | | **${usd(model.perMillion)}** |`);
  out.push(
    `| **storage** | raw zone per month kept + events table over its retention | | | **${usd(model.storage)}** |`,
  );
  out.push('');
  const ranked = model.lines.filter((l) => !l.monthly).sort((a, b) => b.usd - a.usd);
  out.push(
    `Biggest terms: ${ranked
      .slice(0, 3)
      .map((l) => `${l.service} ${l.term} ${usd(l.usd)} (${percent(l.usd / model.perMillion)})`)
      .join('; ')}.`,
  );
  out.push('');
  out.push(
    'The compute scan reads the whole events table on every run (the date range is a filter, and DynamoDB bills a scan by the bytes it reads, not the items it returns), so each event is read runs/day × retention days times:',
  );
  out.push('');
  out.push('| compute runs a day | scan RRU $ | total $ per million events |');
  out.push('|---:|---:|---:|');
  for (const runs of [1, 4, 24, 96, 1440]) {
    const variant = costModel({ ...inputs, computeRunsPerDay: runs });
    const scan = variant.lines.find((l) => l.term.startsWith('compute scans'))?.usd ?? 0;
    out.push(
      `| ${runs}${runs === 4 ? ' (the deploy default, every 6 hours)' : runs === 1440 ? ' (every minute)' : ''} | ${usd(scan)} | ${usd(variant.perMillion)} |`,
    );
  }
  out.push('');
  const scanGbS =
    MILLION *
    inputs.computeRunsPerDay *
    inputs.retentionDays *
    (inputs.scanUsPerItem / 1e6) *
    (MEMORY_MB.compute / 1024);
  out.push(
    `Not in the total: the compute Lambda also waits for the scan pages. Against the embedded DynamoDB, scan + unmarshal + validate took ${inputs.scanUsPerItem.toFixed(1)} µs per item; billed for every scanned item at ${inputs.computeRunsPerDay} runs a day that would add ${usd(scanGbS * PRICES.lambdaGbSecond.usd)} per million events (an upper bound: the embedded server runs in the same process). Also left out: results-table writes (a few items per day and run, independent of volume), SQS empty receives by the Lambda pollers (a fixed ~$0.26 a month), CloudWatch Logs (one line per request), data transfer in (free).`,
  );
  return out;
}
