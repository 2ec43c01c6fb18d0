import { gunzipSync } from 'node:zlib';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '#domain/errors.ts';
import { parseJsonBytes } from '#domain/json-value.ts';
import type { HttpEvent } from './types.ts';

export interface ReadBodyProps {
  /** Largest accepted body in bytes, after base64 and gzip decoding. */
  readonly maxBytes: number;
  /** Read the body as JSON whatever its content type says (SDKs that post gzip as form data). */
  readonly anyContentType?: boolean;
}

/**
 * The request body as bytes: base64 undone (API Gateway encodes non-text content types) and
 * gzip undone when `Content-Encoding: gzip`. Too large → 413; undecodable → 400.
 */
export function readBody(event: HttpEvent, props: ReadBodyProps): Buffer {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded && Buffer.byteLength(raw, 'utf8') > props.maxBytes)
    throw tooLarge(props.maxBytes);
  let bytes = event.isBase64Encoded ? decodeBase64(raw) : Buffer.from(raw, 'utf8');
  const encoding = header(event, 'content-encoding')?.trim().toLowerCase();
  if (encoding === 'gzip') {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: props.maxBytes + 1 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(props.maxBytes);
      throw new ValidationError('the body is not valid gzip', {
        cause: error,
        issues: [{ path: '(body)', message: 'not valid gzip' }],
      });
    }
  } else if (encoding && encoding !== 'identity') {
    throw new UnsupportedMediaTypeError(`content encoding ${encoding} is not supported (use gzip or none)`);
  }
  if (bytes.length > props.maxBytes) throw tooLarge(props.maxBytes);
  return bytes;
}

/** The body parsed as JSON; not JSON → 400 naming the body. */
export function readJsonBody(event: HttpEvent, props: ReadBodyProps): unknown {
  const type = header(event, 'content-type')?.toLowerCase();
  if (type && !props.anyContentType && !/^application\/([\w.+-]*\+)?json\b|^text\/plain\b/.test(type)) {
    throw new UnsupportedMediaTypeError(`content type ${type} is not supported; send application/json`);
  }
  return parseJsonBytes(readBody(event, props));
}

/** The user name of an `Authorization: Basic` header (how SDKs send a write key), if any. */
export function basicUserOf(event: HttpEvent): string | undefined {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(event, 'authorization') ?? '');
  return basic?.[1] ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] : undefined;
}

/** A request header by case-insensitive name. */
export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text.replace(/\s/g, '')) || text.replace(/\s/g, '').length % 4 === 1) {
    throw new ValidationError('the body is not valid base64', {
      issues: [{ path: '(body)', message: 'not valid base64' }],
    });
  }
  return Buffer.from(text, 'base64');
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the body is larger than ${maxBytes} bytes`, {
    issues: [{ path: '(body)', message: `must be at most ${maxBytes} bytes` }],
  });
}
