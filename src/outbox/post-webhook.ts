import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { RequestOptions } from 'node:https';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorCode } from './url-safety.js';

/**
 * One webhook delivery attempt: a JSON POST, and nothing a receiver (or whoever controls its
 * DNS) could turn against us. It connects to the address the SSRF guard checked, not to a
 * fresh resolution of the name; it follows no redirect (a 3xx could point anywhere, and the
 * spec counts it a failure: the endpoint's URL should be updated instead); it reads at most a
 * few KB of the answer; and it gives up at a deadline.
 */

/** Where to deliver: the endpoint's URL, and the IP that `resolveSafeAddress` checked for it. */
export interface WebhookTarget {
  url: string;
  /** The checked IP: the connection goes here, whatever the URL's host resolves to now. */
  address: string;
}

/** The limits of one attempt. */
export interface PostWebhookOptions {
  /** The deadline for the whole attempt (connect, TLS, answer); 10 000 in production. */
  timeoutMs: number;
  /** How much of the answer's body is read (for the delivery log) before the connection is cut. */
  maxResponseBytes: number;
  /**
   * Certificates to trust instead of the system's (PEM): for a test receiver with a
   * self-signed certificate. Production leaves it out.
   */
  ca?: string;
}

/** What became of one attempt. */
export interface PostWebhookResult {
  /** A 2xx answer: the receiver has the message. Anything else is retried. */
  ok: boolean;
  /** The answer's status, null when none arrived. */
  statusCode: number | null;
  /** From the call to the outcome, whole ms. */
  latencyMs: number;
  /**
   * Set exactly when no status arrived: `timeout`, a connection or TLS error's code
   * (`ECONNREFUSED`, `ECONNRESET`, `CERT_HAS_EXPIRED`, …), or `invalid_url` / `invalid_address`
   * for a target that cannot be connected to at all.
   */
  error: string | null;
  /** The start of the answer's body (at most maxResponseBytes, as UTF-8), for the delivery log. */
  responseBody: string;
}

/** The production limits: the spec suggests a 15–30 s timeout; receivers should answer fast. */
export const DEFAULT_POST_WEBHOOK_OPTIONS: PostWebhookOptions = {
  timeoutMs: 10_000,
  maxResponseBytes: 4096,
};

const USER_AGENT = 'paydoc-webhooks/1';

/**
 * POSTs `body` (JSON text, sent as is: it is what the signature covers) with `headers` (the
 * signing headers) to `target.url`, connecting to `target.address`. The Host header and the
 * TLS server name (SNI, and the name the certificate must carry) stay the URL's host, so https
 * works as if the name had been resolved. Never rejects: every failure is a result.
 *
 * The deadline covers connecting and waiting for the answer's status (then `error` is
 * `timeout`); once a status is in, the outcome is that status, and the deadline only cuts
 * short the reading of the body.
 */
export function postWebhook(
  target: WebhookTarget,
  headers: Readonly<Record<string, string>>,
  body: string,
  options: PostWebhookOptions,
): Promise<PostWebhookResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const refused = (error: string): Promise<PostWebhookResult> =>
    Promise.resolve({ ok: false, statusCode: null, latencyMs: elapsed(), error, responseBody: '' });

  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return refused('invalid_url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refused('invalid_url');
  const family = isIP(target.address);
  if (family === 0) return refused('invalid_address');

  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostIsIp = isIP(hostname) !== 0;
  // Every resolution of the name answers the checked address; Node 20 asks with `all: true`
  // when it may try several families (autoSelectFamily), else for one address.
  const lookup: LookupFunction = (_name, lookupOptions, callback) => {
    if (lookupOptions.all === true) callback(null, [{ address: target.address, family }]);
    else callback(null, target.address, family);
  };
  const requestHeaders: OutgoingHttpHeaders = { 'user-agent': USER_AGENT };
  for (const [name, value] of Object.entries(headers)) requestHeaders[name.toLowerCase()] = value;
  requestHeaders['content-type'] = 'application/json';
  requestHeaders['content-length'] = Buffer.byteLength(body);
  requestHeaders.host = url.host;
  const requestOptions: RequestOptions = {
    method: 'POST',
    // A literal IP in the URL is never looked up, so it is replaced by the checked address itself.
    host: hostIsIp ? target.address : hostname,
    path: `${url.pathname}${url.search}`,
    headers: requestHeaders,
    lookup,
    // A fresh connection per attempt: a pooled one could have been made to another address.
    agent: false,
  };
  if (url.port !== '') requestOptions.port = Number(url.port);
  // RFC 6066 forbids an IP as the server name; Node then checks the certificate against it.
  if (url.protocol === 'https:' && !hostIsIp) requestOptions.servername = hostname;
  if (url.protocol === 'https:' && options.ca !== undefined) requestOptions.ca = options.ca;

  return new Promise((resolve) => {
    let settled = false;
    let statusCode: number | null = null;
    let request: ClientRequest | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    // Started first, so that connecting is within the deadline too.
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);

    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Whatever is still open (a body being sent, an answer being read) is cut.
      request?.destroy();
      resolve({
        ok: statusCode !== null && statusCode >= 200 && statusCode < 300,
        statusCode,
        latencyMs: elapsed(),
        error: statusCode === null ? (error ?? 'no_response') : null,
        responseBody: Buffer.concat(chunks).toString('utf8'),
      });
    };

    const onResponse = (response: IncomingMessage): void => {
      statusCode = response.statusCode ?? null;
      response.on('data', (chunk: Buffer) => {
        const room = options.maxResponseBytes - received;
        if (chunk.length > room) {
          // Enough: keep what fits and drop the connection rather than drain megabytes.
          chunks.push(chunk.subarray(0, room));
          received += room;
          finish(null);
          response.destroy();
          return;
        }
        chunks.push(chunk);
        received += chunk.length;
      });
      response.on('end', () => finish(null));
      // An answer cut short after its status still counts by that status.
      response.on('error', () => finish(null));
      response.on('close', () => finish(null));
    };

    try {
      request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        requestOptions,
        onResponse,
      );
    } catch (error) {
      // Headers Node refuses (a value with a line break) throw before anything is sent.
      finish(errorCode(error));
      return;
    }
    request.on('error', (error) => finish(errorCode(error)));
    request.end(body);
  });
}
