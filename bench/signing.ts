import { EntrySigner, newSigningKey } from '../src/engine/signing-keys.js';
import { verifyEntrySignature } from '../src/tlog/entry-signature.js';
import type { BenchResult } from './measure.js';
import { measure } from './measure.js';

export const SIGNING_TABLE_TITLE = 'Entry signatures (issue 13): the cost per entry';

/**
 * What signing adds to each appended entry on the HTTP path (one Ed25519 signature, made in
 * the commit queue's work), and what checking one costs a verifier.
 */
export async function signingBenchmarks(): Promise<BenchResult[]> {
  const key = newSigningKey(0);
  const signer = new EntrySigner(key);
  const blueId = '9z9SM79JR81brAuc4c8ZbRRVwU8LnFNLJdm8fAH8LzeN';
  let sequence = 0;
  const signature = signer.sign('tl_bench', 1, blueId);
  return [
    await measure('sign one entry (Ed25519)', () => signer.sign('tl_bench', ++sequence, blueId), {
      note: 'node:crypto sign over the entry signing text; added to every append',
    }),
    await measure(
      'verify one entry signature',
      () =>
        verifyEntrySignature(
          key.publicKey,
          { timelineId: 'tl_bench', sequence: 1, blueId },
          signature.value,
        ),
      {
        note: 'the key imported each time (paydoc verify imports each key once, and checks in the thread pool)',
      },
    ),
  ];
}
