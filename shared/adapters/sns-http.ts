import { X509Certificate } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { ServiceUnavailableError } from '#domain/errors.ts';
import type { CertificateSource, SubscriptionConfirmer } from '#domain/webhooks/sns-envelope.ts';

const MAX_CERTIFICATE_BYTES = 16 * 1024;
const TIMEOUT_MS = 5_000;

/** GET with a time limit and a size cap; a failure is a 503 so SNS delivers again later. */
async function get(url: string, maxBytes: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    throw new ServiceUnavailableError(`cannot reach ${new URL(url).host}`, { cause: error });
  }
  if (response.status !== 200)
    throw new ServiceUnavailableError(`${new URL(url).host} answered ${response.status}`);
  const body = await response.text();
  if (Buffer.byteLength(body) > maxBytes)
    throw new ServiceUnavailableError(`${new URL(url).host} sent more than ${maxBytes} bytes`);
  return body;
}

/**
 * A least-recently-used cache in front of any certificate fetcher. SNS publishes a new
 * certificate under a new URL, so entries never expire; a fetch that fails, or whose text is not
 * an X.509 certificate, is not kept, and concurrent requests for one URL share one fetch.
 */
export function createCachingCertificateSource(
  fetchPem: (url: string) => Promise<string>,
  maxEntries = 16,
): CertificateSource {
  const cache = new LRUCache<string, string>({
    max: maxEntries,
    fetchMethod: async (url) => {
      const pem = await fetchPem(url);
      new X509Certificate(pem);
      return pem;
    },
  });
  return {
    async get(url) {
      const pem = await cache.fetch(url);
      if (pem === undefined)
        throw new ServiceUnavailableError('the SNS signing certificate could not be fetched');
      return pem;
    },
  };
}

/**
 * SNS signing certificates over HTTPS, cached per URL. The envelope check has already checked
 * the URL's host before asking.
 */
export function createSnsCertificateSource(): CertificateSource {
  return createCachingCertificateSource((url) => get(url, MAX_CERTIFICATE_BYTES));
}

/** Confirms an SNS subscription by visiting its SubscribeURL (host already checked). */
export function createSnsSubscriptionConfirmer(): SubscriptionConfirmer {
  return { confirm: async (subscribeUrl) => void (await get(subscribeUrl, 64 * 1024)) };
}
