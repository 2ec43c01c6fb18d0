import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { MethodNotAllowedError, UnauthorizedError } from '../errors.ts';
import { clipText } from '../event-schema.ts';
import { parseJsonBytes } from '../json-value.ts';
import { REPLAY_WINDOW_MS, type WebhookOutcome, type WebhookRequest } from './types.ts';

/**
 * Small helpers shared by the provider modules: constant-time comparison, the replay window,
 * reading the JSON body and building bounded event ids.
 */

/** One provider: where its secrets live in the config, their schema, and the handler. */
export interface WebhookProvider<Secrets> {
  /** Key of this provider's secrets under `webhooks` in the config file (README: Sending data, Configuration). */
  readonly configKey: string;
  /** Schema of those secrets; `handle` takes its output. */
  readonly secretsSchema: z.ZodType<Secrets>;
  /**
   * Verifies the request (401 on a missing or bad signature or an expired timestamp) and maps
   * its payload to canonical events. `now` is the current time in epoch milliseconds.
   */
  handle(request: WebhookRequest, secrets: Secrets, now: number): WebhookOutcome;
}

/** Whether two byte strings are equal, in time that depends only on their lengths. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether two secrets written as text are equal, in constant time whatever their lengths (both
 * are hashed first, so not even the length of the expected one leaks).
 */
export function safeEqualText(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Bytes of a hex string of exactly `bytes` bytes, or undefined when it is not one. */
export function fromHex(value: string, bytes: number): Buffer | undefined {
  if (value.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(value)) return undefined;
  return Buffer.from(value, 'hex');
}

/**
 * Reads a signature timestamp in Unix seconds and checks it is within the replay window of
 * `now` (epoch ms), both ways. Anything else is a 401: a signature is only worth its timestamp.
 */
export function checkTimestamp(value: unknown, now: number, what: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,12}$/.test(text)) {
    throw new UnauthorizedError(`${what} must be a Unix time in seconds`);
  }
  const seconds = Number(text);
  if (Math.abs(now - seconds * 1000) > REPLAY_WINDOW_MS) {
    throw new UnauthorizedError(`${what} is outside the ${REPLAY_WINDOW_MS / 60_000}-minute replay window`);
  }
  return seconds;
}

/** A request header (names are lower-cased by the HTTP layer), or a 401 naming it when absent. */
export function requireHeader(request: WebhookRequest, name: string): string {
  const value = request.headers[name.toLowerCase()];
  if (value === undefined || value.trim() === '') throw new UnauthorizedError(`missing ${name} header`);
  return value.trim();
}

/** Providers that only POST: anything else is a 405. */
export function requirePost(request: WebhookRequest, provider: string): void {
  if (request.method !== 'POST') {
    throw new MethodNotAllowedError(`the ${provider} webhook takes POST requests only`);
  }
}

/** The body parsed as JSON (a 400 naming it when it is not), 64-bit integers kept as digits. */
export function parseJsonBody(rawBody: Buffer): unknown {
  return parseJsonBytes(rawBody, { keepLargeIntegers: true });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A trimmed, non-empty string of at most `max` characters (cut to it), from a string or a number. */
export function textOf(value: unknown, max = 256): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return trimmed === '' ? undefined : clipText(trimmed, max);
}

/** An http(s) URL the event schema accepts, or undefined (a mailto: link is not a web click). */
export function webUrlOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An ISO-8601 UTC timestamp from Unix seconds (fractions kept to the millisecond), or undefined. */
export function isoFromUnixSeconds(value: unknown): string | undefined {
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 1e11) {
    return undefined;
  }
  return new Date(Math.round(seconds * 1000)).toISOString();
}

/** The event schema's limit on `eventId`. */
const MAX_EVENT_ID = 128;

/**
 * `prefix:part:part...`, the provider's own dedup key made into an event id. A key too long for
 * the 128-character limit is replaced by its SHA-256, which is just as stable across redeliveries.
 */
export function providerEventId(prefix: string, ...parts: string[]): string {
  const id = [prefix, ...parts].join(':');
  if (id.length <= MAX_EVENT_ID) return id;
  return `${prefix}:sha256:${createHash('sha256').update(parts.join(':'), 'utf8').digest('hex')}`;
}
