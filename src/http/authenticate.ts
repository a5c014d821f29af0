import type { Store } from '../store/store.js';
import type { AccountRecord } from '../store/store-records.js';
import { hashApiKey } from '../engine/accounts.js';
import { PROCESSOR_ACCOUNT } from '../engine/document-engine.js';

/**
 * Finds the account of a request's API key: `Authorization: Bearer <key>`, or HTTP Basic with
 * the key as the user name and an empty password (as BitPay clients send it). Anything else —
 * a password, a scheme paydoc does not know, bad base64, text after the key — is no key at
 * all. Keys are looked up by hash and remembered; the account routes call
 * {@link Authenticator.forgetAccount} once a revocation is durable, so a revoked key is
 * refused from the next request on.
 */
export class Authenticator {
  private readonly known = new Map<string, AccountRecord>();
  /** Moves on every forget: a lookup that started before one must not fill the cache. */
  private generation = 0;

  constructor(private readonly store: Store) {}

  async account(header: string | undefined): Promise<AccountRecord | undefined> {
    const key = keyOf(header);
    if (key === undefined) return undefined;
    const hash = hashApiKey(key);
    const cached = this.known.get(hash);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const account = await this.store.accountByKeyHash(hash);
    // The processor's account acts only inside the server.
    if (account === undefined || account.id === PROCESSOR_ACCOUNT.id) return undefined;
    if (generation !== this.generation) return account;
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(hash, account);
    return account;
  }

  /** Forgets every remembered key of the account (after one of them was revoked). */
  forgetAccount(accountId: string): void {
    this.generation += 1;
    for (const [hash, account] of this.known) if (account.id === accountId) this.known.delete(hash);
  }
}

/** The key in an Authorization header, or undefined when the header is not exactly one. */
function keyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2) return undefined;
  const [scheme, credentials] = parts as [string, string];
  if (credentials === '') return undefined;
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return credentials;
    case 'basic':
      return basicUser(credentials);
    default:
      return undefined;
  }
}

/** `base64(key + ':')`: the key as user name and an empty password, nothing else. */
function basicUser(credentials: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials) || credentials.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(credentials, 'base64');
  if (bytes.toString('base64') !== credentials) return undefined;
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon !== decoded.length - 1) return undefined;
  return decoded.slice(0, colon);
}
