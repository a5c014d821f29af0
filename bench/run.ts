import { cpus } from 'node:os';
import { FAIRNESS_TABLE_TITLE, fairnessBenchmarks } from './fairness.js';
import { HTTP_TABLE_TITLE, httpBenchmarks } from './http.js';
import { languageBenchmarks } from './language.js';
import { printTable } from './measure.js';
import { SIGNING_TABLE_TITLE, signingBenchmarks } from './signing.js';
import { VERIFY_TABLE_TITLE, verifyBenchmarks } from './verify.js';
import { WEBHOOK_TABLE_TITLE, webhookBenchmarks } from './webhooks.js';
import { paymentBenchmarks } from './payments.js';
import { growthBenchmark, throughputBenchmarks, workloadBenchmarks } from './processor.js';

// `npm run bench`: a benchmark, not a test. Numbers go in the closing notes of issues.
console.log(`paydoc bench — Node ${process.version}, ${cpus().length} cores`);
printTable('Document language (issue 2)', await languageBenchmarks());
printTable(
  'Blue-compatible workloads, in process (issue 3; 2,000 events after 1,000 warm-up)',
  await workloadBenchmarks(),
);
printTable('Processor throughput, in process (issue 3)', await throughputBenchmarks());
printTable('Processor cost over time (issue 3)', await growthBenchmark());
printTable('Payments, in process (issue 4)', await paymentBenchmarks());
printTable(SIGNING_TABLE_TITLE, await signingBenchmarks());
printTable(VERIFY_TABLE_TITLE, await verifyBenchmarks());
printTable(WEBHOOK_TABLE_TITLE, await webhookBenchmarks());
printTable(HTTP_TABLE_TITLE, await httpBenchmarks());
printTable(FAIRNESS_TABLE_TITLE, await fairnessBenchmarks());
