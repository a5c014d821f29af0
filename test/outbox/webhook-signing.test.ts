import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signWebhook } from '../../src/outbox/webhook-signing.js';

const BODY = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1', amount: 1250 } });

// The library refuses timestamps more than 5 minutes off its clock, so signatures are made now.
function signedNow(
  secrets: readonly string[],
  body = BODY,
  id = 'evt_2KWPBgLlAfxdpx2AI54',
): {
  headers: Record<string, string>;
  timestamp: number;
} {
  const timestamp = Date.now();
  return { headers: signWebhook(id, timestamp, body, secrets), timestamp };
}

describe('newWebhookSecret', () => {
  it('is whsec_ and the base64 of 24 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
  });

  it('is a new secret every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(50);
  });

  it('is a secret the library takes', () => {
    expect(() => new Webhook(newWebhookSecret())).not.toThrow();
  });
});

describe('signWebhook', () => {
  it('gives the three Standard Webhooks headers, the timestamp in whole seconds', () => {
    const headers = signWebhook('msg_1', 1_674_087_231_999, BODY, [newWebhookSecret()]);
    expect(Object.keys(headers).sort()).toEqual([
      'webhook-id',
      'webhook-signature',
      'webhook-timestamp',
    ]);
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-timestamp']).toBe('1674087231');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('is verified by the library with the secret', () => {
    const secret = newWebhookSecret();
    const { headers } = signedNow([secret]);
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it('is the HMAC-SHA256 of id.timestamp.body that the spec describes', () => {
    const secret = newWebhookSecret();
    const headers = signWebhook('msg_1', 1_674_087_231_000, BODY, [secret]);
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`msg_1.1674087231.${BODY}`).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('signs a non-ASCII body as its UTF-8 bytes, as receivers verify it', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ note: 'Zürich → 東京 💶' });
    const { headers } = signedNow([secret], body);
    expect(() => new Webhook(secret).verify(Buffer.from(body, 'utf8'), headers)).not.toThrow();
  });

  it('is refused when the body, the id or the timestamp changed', () => {
    const secret = newWebhookSecret();
    const receiver = new Webhook(secret);
    const { headers } = signedNow([secret]);
    const refused = (body: string, changed: Record<string, string>): void => {
      expect(() => receiver.verify(body, changed)).toThrow(WebhookVerificationError);
    };
    refused(BODY.replace('1250', '1251'), headers);
    refused(`${BODY} `, headers);
    refused(BODY, { ...headers, 'webhook-id': 'evt_other' });
    const seconds = Number(headers['webhook-timestamp']);
    refused(BODY, { ...headers, 'webhook-timestamp': String(seconds - 1) });
    refused(BODY, { ...headers, 'webhook-timestamp': String(seconds + 1) });
  });

  it('is refused by a receiver holding another secret', () => {
    const { headers } = signedNow([newWebhookSecret()]);
    expect(() => new Webhook(newWebhookSecret()).verify(BODY, headers)).toThrow(
      WebhookVerificationError,
    );
  });

  it('signs with both secrets during a rotation: a receiver holding either one verifies', () => {
    const oldSecret = newWebhookSecret();
    const newSecret = newWebhookSecret();
    const { headers } = signedNow([newSecret, oldSecret]);
    const signatures = (headers['webhook-signature'] ?? '').split(' ');
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature).toMatch(/^v1,/);
    expect(signatures[0]).not.toBe(signatures[1]);
    expect(() => new Webhook(oldSecret).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(BODY, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(BODY, headers)).toThrow(
      WebhookVerificationError,
    );
    // Each signature alone is the one of its secret.
    expect(() =>
      new Webhook(oldSecret).verify(BODY, { ...headers, 'webhook-signature': signatures[1] ?? '' }),
    ).not.toThrow();
    expect(() =>
      new Webhook(oldSecret).verify(BODY, { ...headers, 'webhook-signature': signatures[0] ?? '' }),
    ).toThrow(WebhookVerificationError);
  });

  it('refuses to sign without a secret, with a dotted or empty id, or at no time', () => {
    const secret = newWebhookSecret();
    expect(() => signWebhook('msg_1', Date.now(), BODY, [])).toThrow(RangeError);
    expect(() => signWebhook('msg.1', Date.now(), BODY, [secret])).toThrow(RangeError);
    expect(() => signWebhook('', Date.now(), BODY, [secret])).toThrow(RangeError);
    expect(() => signWebhook('msg 1', Date.now(), BODY, [secret])).toThrow(RangeError);
    expect(() => signWebhook('msg_1', Number.NaN, BODY, [secret])).toThrow(RangeError);
    expect(() => signWebhook('msg_1', -1, BODY, [secret])).toThrow(RangeError);
  });
});
