#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { ApiClient, ApiError, UnreachableError } from '#local/api-client.ts';
import { readLocalState } from '#local/local-state.ts';
import { printReport, printTable } from '#local/report.ts';
import { readEventsCsv, readNdjson, readSpendCsv } from './input-files.ts';

/**
 * `npx attribution <command>`: send events and spend, run replays and computes, and print reports,
 * against the local runtime or a deployed API (`--url`/`ATTRIBUTION_URL`, `--key`/`ATTRIBUTION_KEY`).
 * Without a key, a loopback URL uses the local runtime's own keys, from its data folder.
 */
const USAGE = `usage: attribution <command> [options]
  send <events.ndjson|events.csv>   send events in batches of 500, with retries
  spend <spend.csv>                 upsert spend rows
  replay --from YYYY-MM-DD --to YYYY-MM-DD       rebuild those days' lake partitions with the current config, then recompute
  compute [--from YYYY-MM-DD] [--to YYYY-MM-DD]  (both show the job's progress; --stall-seconds N gives up on a job that stops moving, default 300)
  report [--from YYYY-MM-DD] [--to YYYY-MM-DD]
  keys create --name NAME --scopes ingest,query,admin|collect [--origins https://a.example,...] | keys list | keys revoke <keyHash>   (admin key)
options: --url (ATTRIBUTION_URL, default http://127.0.0.1:3000), --key (ATTRIBUTION_KEY; for a local URL
  without one, LOCAL_API_KEY or the local runtime's keys in --data-dir (DATA_DIR, default .data)/local.json)`;

const BATCH = 500;
const MAX_ATTEMPTS = 5;

function parseCommandLine() {
  return parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.ATTRIBUTION_URL ?? 'http://127.0.0.1:3000' },
      key: { type: 'string', default: process.env.ATTRIBUTION_KEY },
      'data-dir': { type: 'string', default: process.env.DATA_DIR ?? '.data' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean' },
      name: { type: 'string' },
      scopes: { type: 'string' },
      origins: { type: 'string' },
      'stall-seconds': { type: 'string' },
    },
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine();
  } catch (error) {
    // An unknown or malformed option is a usage error, like a missing command.
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, file] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!command) {
    console.error(USAGE);
    return 2;
  }
  if (!isCommand(command)) {
    console.error(`unknown command ${command}\n${USAGE}`);
    return 2;
  }
  const stallSeconds = Number(values['stall-seconds'] ?? 300);
  if (!Number.isFinite(stallSeconds) || stallSeconds <= 0) {
    // NaN would never compare as stalled: the CLI would follow a stuck job for ever.
    console.error(`--stall-seconds must be a positive number of seconds\n${USAGE}`);
    return 2;
  }
  const key = values.key || localKey(command, values.url, resolve(values['data-dir']));
  if (!key) {
    console.error(
      isLoopback(values.url)
        ? `an API key is needed: --key or ATTRIBUTION_KEY, or the local runtime's own in ${join(resolve(values['data-dir']), 'local.json')} (there is none: start the runtime with npm start, or name its data folder with --data-dir or DATA_DIR)`
        : 'an API key is needed: --key or ATTRIBUTION_KEY',
    );
    return 2;
  }
  const api = new ApiClient({ url: values.url, key });
  const range = { ...(values.from ? { from: values.from } : {}), ...(values.to ? { to: values.to } : {}) };
  switch (command) {
    case 'send':
      return send(api, requireFile(file));
    case 'spend':
      return spend(api, requireFile(file));
    case 'replay':
    case 'compute': {
      const started = Date.now();
      const job = await api.runJob(command, range, {
        pollMs: 500,
        stallMs: stallSeconds * 1000,
        onStatus: (current) =>
          console.error(
            `${command} job ${current.jobId}: ${current.status}${current.progress ? ` ${current.progress.done}/${current.progress.total} steps` : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
          ),
      });
      console.log(`${command} job ${job.jobId} ${job.status}: ${JSON.stringify(job.stats ?? {})}`);
      return 0;
    }
    case 'report':
      await printReport(api, range);
      return 0;
    case 'keys':
      return keys(api, file, positionals[2], values);
  }
}

/** Which of the local runtime's keys (local/local-state.ts) each command needs: its scope. */
const LOCAL_KEYS = {
  send: 'ingestKey',
  spend: 'ingestKey',
  replay: 'queryKey',
  compute: 'queryKey',
  report: 'queryKey',
  keys: 'adminKey',
} as const;
type Command = keyof typeof LOCAL_KEYS;

function isCommand(name: string): name is Command {
  return Object.hasOwn(LOCAL_KEYS, name);
}

function isLoopback(url: string): boolean {
  return URL.canParse(url) && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(new URL(url).hostname);
}

/**
 * The local runtime's key for a command: `LOCAL_API_KEY` when it was started with one, else the
 * keys it created in its data folder. Only for a loopback URL, so they are never sent elsewhere.
 */
function localKey(command: Command, url: string, dataDir: string): string | undefined {
  if (!isLoopback(url)) return undefined;
  return process.env.LOCAL_API_KEY || readLocalState(dataDir)?.[LOCAL_KEYS[command]];
}

function requireFile(file: string | undefined): string {
  if (!file) throw new Error('a file is needed');
  return file;
}

/** POSTs with retries and exponential backoff on 429, 5xx and network failures. */
async function postWithRetry<T>(api: ApiClient, path: string, body: unknown): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api.request<T>('POST', path, body);
    } catch (error) {
      const retryable = !(error instanceof ApiError) || error.status === 429 || error.status >= 500;
      if (!retryable || attempt === MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
    }
  }
}

/** How many of a list of line messages are printed; the rest are counted. */
const SHOWN_LINES = 20;

function printLines(
  lines: ReadonlyArray<{ line: number; text: string }>,
  print: (text: string) => void,
): void {
  for (const { line, text } of lines.slice(0, SHOWN_LINES)) print(`  line ${line}: ${text}`);
  if (lines.length > SHOWN_LINES) print(`  … and ${lines.length - SHOWN_LINES} more`);
}

async function send(api: ApiClient, path: string): Promise<number> {
  const text = readFileSync(path, 'utf8');
  const { events, skipped } = path.endsWith('.csv') ? readEventsCsv(text) : readNdjson(text);
  if (skipped.length > 0) {
    console.error(`skipping ${skipped.length} lines of ${path}:`);
    printLines(
      skipped.map((s) => ({ line: s.line, text: s.reason })),
      console.error,
    );
  }
  const bar = new SingleBar({
    format: 'sending [{bar}] {value}/{total} events',
    noTTYOutput: true,
    notTTYSchedule: 1000,
  });
  bar.start(events.length, 0);
  let accepted = 0;
  let duplicates = 0;
  const rejected: Array<{ line: number; text: string }> = [];
  for (let start = 0; start < events.length; start += BATCH) {
    const batch = events.slice(start, start + BATCH);
    const result = await postWithRetry<{
      accepted: number;
      duplicates: number;
      rejected: Array<{ index: number; errors: Array<{ path: string; message: string }> }>;
    }>(api, '/v1/events', { events: batch.map((e) => e.event) });
    accepted += result.accepted;
    duplicates += result.duplicates;
    for (const r of result.rejected) {
      rejected.push({
        line: batch[r.index]?.line ?? 0,
        text: r.errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      });
    }
    bar.update(start + batch.length);
  }
  bar.stop();
  console.log(
    `sent ${events.length} events: ${accepted} accepted, ${duplicates} duplicates, ${rejected.length} rejected${skipped.length > 0 ? `; ${skipped.length} lines skipped (not events)` : ''}`,
  );
  printLines(rejected, console.log);
  // Scripts notice a rejected or skipped line by the exit code.
  return rejected.length > 0 || skipped.length > 0 ? 1 : 0;
}

async function spend(api: ApiClient, path: string): Promise<number> {
  const rows = readSpendCsv(readFileSync(path, 'utf8'));
  let upserted = 0;
  for (let start = 0; start < rows.length; start += 1000) {
    upserted += (
      await postWithRetry<{ upserted: number }>(api, '/v1/spend', { rows: rows.slice(start, start + 1000) })
    ).upserted;
  }
  console.log(`upserted ${upserted} spend rows`);
  return 0;
}

async function keys(
  api: ApiClient,
  action: string | undefined,
  keyHash: string | undefined,
  options: { name?: string | undefined; scopes?: string | undefined; origins?: string | undefined },
): Promise<number> {
  if (action === 'create') {
    const created = await api.request<{ key: string; keyHash: string; scopes: string[] }>(
      'POST',
      '/v1/keys',
      {
        name: options.name ?? 'cli',
        scopes: (options.scopes ?? 'query').split(',').map((s) => s.trim()),
        // A write key (scope collect) may be bound to the origins whose pages use it.
        ...(options.origins ? { allowedOrigins: options.origins.split(',').map((o) => o.trim()) } : {}),
      },
    );
    console.log(
      `created key ${created.key}\n  hash ${created.keyHash}, scopes ${created.scopes.join(',')} (the key is not shown again)`,
    );
    return 0;
  }
  if (action === 'list') {
    const { keys: list } = await api.request<{
      keys: Array<{ keyHash: string; name: string; scopes: string[]; createdAt: string; revokedAt?: string }>;
    }>('GET', '/v1/keys');
    printTable(
      'API keys',
      ['hash', 'name', 'scopes', 'created', 'revoked'],
      list.map((k) => [
        k.keyHash,
        k.name,
        k.scopes.join(','),
        k.createdAt.slice(0, 19),
        k.revokedAt?.slice(0, 19) ?? '',
      ]),
    );
    return 0;
  }
  if (action === 'revoke' && keyHash) {
    await api.request('DELETE', `/v1/keys/${keyHash}`);
    console.log(`revoked ${keyHash}`);
    return 0;
  }
  console.error(
    `usage: keys create --name NAME --scopes ingest,query|collect [--origins ...] | keys list | keys revoke <keyHash>`,
  );
  return 2;
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    // A message, never a stack trace: what failed is all a user can act on.
    const hint =
      error instanceof UnreachableError
        ? '; is the API running? npm start starts the local one, --url or ATTRIBUTION_URL names another'
        : '';
    console.error(`error: ${error instanceof Error ? error.message : String(error)}${hint}`);
    process.exit(1);
  });
