import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): an HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>`. The HMAC itself is the
 * official library's (`standardwebhooks`), so that what we send is exactly what every
 * receiver's verifier computes; this module only chooses the secrets and shapes the headers.
 */

// The spec asks for at least 24 random bytes (192 bits); more buys nothing for HMAC-SHA256
// receivers, and 24 bytes make a 32-character base64 text without padding.
const SECRET_BYTES = 24;
const SECRET_PREFIX = 'whsec_';

/** A new endpoint signing secret: `whsec_` + base64 of 24 random bytes (shown to the owner once). */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * The three Standard Webhooks headers for one delivery attempt of `body` (the exact bytes sent:
 * a receiver verifies the raw body, so it must not be re-serialised after signing).
 *
 * - `webhook-id`: `id`, the same for every attempt of one message (the receiver's idempotency key);
 * - `webhook-timestamp`: `timestamp` (ms since the epoch) in whole seconds: the attempt's time,
 *   not the event's, as receivers refuse timestamps more than a few minutes off their clock;
 * - `webhook-signature`: `v1,<sig>` for each of `secrets`, space-separated: during a rotation
 *   the new and the old secret both sign, so a receiver holding either one verifies.
 *
 * Throws (a caller's bug, not an expected outcome) without a secret, with an id that is empty
 * or holds `.` or white space (the spec forbids `.`: it delimits the signed content), or with
 * a timestamp that is not a non-negative finite number.
 */
export function signWebhook(
  id: string,
  timestamp: number,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  if (secrets.length === 0) throw new RangeError('signWebhook needs at least one secret');
  if (id === '' || /[.\s]/.test(id))
    throw new RangeError(`a webhook id is non-empty, without "." or white space: ${id}`);
  if (!Number.isFinite(timestamp) || timestamp < 0)
    throw new RangeError(`a webhook timestamp is milliseconds since the epoch: ${timestamp}`);
  // The library floors the Date to seconds when it signs; the header is floored the same way,
  // so the signed and the sent timestamp cannot differ.
  const at = new Date(timestamp);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, at, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
