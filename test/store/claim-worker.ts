/**
 * A claimer in a process of its own, for the SQLite test of two servers claiming deliveries at
 * once: `node --import tsx claim-worker.ts <file> <now> <leaseUntil>`. It opens the store, says
 * `ready`, waits for a line on stdin, then claims one delivery at a time until none is left,
 * pausing a millisecond after each (as a worker posting it would, letting the other claimer in),
 * and prints the ids it got as a JSON array.
 */
import { createInterface } from 'node:readline';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const [file, now, leaseUntil] = process.argv.slice(2);
if (file === undefined || now === undefined || leaseUntil === undefined)
  throw new Error('usage: claim-worker.ts <file> <now> <leaseUntil>');
const store = new SqliteStore(file);
await store.migrate();
const lines = createInterface({ input: process.stdin });
const go = new Promise<void>((resolve) => lines.once('line', () => resolve()));
process.stdout.write('ready\n');
await go;
lines.close();
const claimed: string[] = [];
for (;;) {
  const rows = await store.claimDueDeliveries(Number(now), 1, Number(leaseUntil));
  if (rows.length === 0) break;
  claimed.push(...rows.map((row) => row.id));
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await store.close();
process.stdout.write(`${JSON.stringify(claimed)}\n`);
