/**
 * Standard base64 (RFC 4648 §4, with padding), decoded strictly. Node's own decoder skips
 * whatever is not in the alphabet and tolerates missing padding, so " AAAA", "AAA" and
 * "AAB=" would all decode; here each of those is refused.
 *
 * Invariants: `decodeBase64` accepts exactly the strings `encodeBase64` produces (so every
 * byte string has one accepted encoding), never throws, and works in time linear in the input.
 */

const CANONICAL_SHAPE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The bytes `text` encodes, or undefined unless it is canonical padded standard base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!CANONICAL_SHAPE.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // The last character may carry bits the bytes do not use ("AAB=" for "AAA="); those must
  // be zero, or two strings would decode to the same bytes.
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}
