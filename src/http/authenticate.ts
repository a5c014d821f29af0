import type { Store } from '../store/store.js';
import type { AccountRecord } from '../store/store-records.js';
import { hashApiKey, PROCESSOR_ACCOUNT } from '../engine/document-engine.js';

/**
 * Finds the account of a request's API key: `Authorization: Bearer <key>`, or HTTP Basic with
 * the key as the user name and an empty password (as BitPay clients send it). Keys are looked
 * up by hash and remembered, since keys are never revoked in this version.
 */
export class Authenticator {
  private readonly known = new Map<string, AccountRecord>();

  constructor(private readonly store: Store) {}

  async account(header: string | undefined): Promise<AccountRecord | undefined> {
    const key = keyOf(header);
    if (key === undefined) return undefined;
    const hash = hashApiKey(key);
    const cached = this.known.get(hash);
    if (cached !== undefined) return cached;
    const account = await this.store.accountByKeyHash(hash);
    // The processor's account acts only inside the server.
    if (account === undefined || account.id === PROCESSOR_ACCOUNT.id) return undefined;
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(hash, account);
    return account;
  }
}

function keyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const [scheme, credentials] = header.trim().split(/\s+/, 2);
  if (credentials === undefined || credentials === '') return undefined;
  if (scheme?.toLowerCase() === 'bearer') return credentials;
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const user = decoded.split(':', 1)[0];
  return user === undefined || user === '' ? undefined : user;
}
