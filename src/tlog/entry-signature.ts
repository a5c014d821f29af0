import { createPublicKey, verify } from 'node:crypto';

/**
 * The server's signature of a timeline entry: Ed25519 over a domain-separated text naming the
 * timeline, the sequence and the entry's BlueId. The BlueId hashes the whole entry (message,
 * timestamp, actor, source and `prevEntry`, the previous entry's BlueId), so a signature binds
 * the entry and, through the chain, everything before it on its timeline.
 *
 * Invariants: the text is ASCII-only framing around ids the server made; verification never
 * throws (a malformed key or signature is simply not valid).
 */
export const ENTRY_SIGNATURE_CONTEXT = 'paydoc entry signature v1';

/** The exact bytes an entry's signature is over. */
export function entrySigningText(timelineId: string, sequence: number, blueId: string): string {
  return `${ENTRY_SIGNATURE_CONTEXT}\n${timelineId}\n${sequence}\n${blueId}\n`;
}

/** True when `signature` (base64) is the key's (raw 32-byte Ed25519, base64) over the entry. */
export function verifyEntrySignature(
  publicKey: string,
  entry: { timelineId: string; sequence: number; blueId: string },
  signature: string,
): boolean {
  try {
    const raw = Buffer.from(publicKey, 'base64');
    const sig = Buffer.from(signature, 'base64');
    if (raw.length !== 32 || sig.length !== 64) return false;
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    const text = entrySigningText(entry.timelineId, entry.sequence, entry.blueId);
    return verify(null, Buffer.from(text, 'utf8'), key, sig);
  } catch {
    return false;
  }
}
