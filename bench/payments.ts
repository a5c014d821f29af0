import type { JsonObject } from '../src/model/json.js';
import { runOffline } from '../src/engine/offline-run.js';
import type { OfflineInput } from '../src/engine/offline-run.js';
import { IsolateHost } from '../src/sandbox/isolate-host.js';
import { defaultTypeRegistry } from '../src/types/load-library.js';
import type { BenchResult } from './measure.js';
import { measure } from './measure.js';

const operation = (name: string, request: JsonObject, timestamp: number): OfflineInput => ({
  kind: 'direct',
  channel: 'merchantApi',
  timestamp,
  event: { type: 'Conversation/Operation Request', operation: name, request },
});

/**
 * Issue 4: a Classic Card Payment created (authorised by the processor), captured and
 * refunded through its REST operations, every answer applied back to the document, in process.
 */
export async function paymentBenchmarks(): Promise<BenchResult[]> {
  const registry = defaultTypeRegistry();
  const sandbox = new IsolateHost();
  let n = 0;
  const roundTrip = async () => {
    n += 1;
    const document: JsonObject = {
      type: 'Classic Card Payment',
      amount: 1000 + (n % 500),
      currency: 'USD',
      captured: false,
      token: 'tok_visa',
    };
    const run = await runOffline(
      document,
      [
        { kind: 'created', timestamp: 1_700_000_000_000 + n },
        operation('capture', {}, 1_700_000_001_000 + n),
        operation('refund', { amount: 100 }, 1_700_000_002_000 + n),
      ],
      { registry, sandbox },
    );
    if (run.document.amountRefunded !== 100)
      throw new Error(`round trip ${n} failed: ${JSON.stringify(run.answers)}`);
  };
  const result = await measure('card create → authorise → capture → refund', roundTrip, {
    warmup: 200,
    note: 'round trips/s: 3 inputs, 3 processor answers applied, 2 JavaScript steps each',
  });
  await sandbox.close();
  return [result];
}
