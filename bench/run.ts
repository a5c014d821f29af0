import { languageBenchmarks } from './language.js';
import { printTable } from './measure.js';

// `npm run bench`: a benchmark, not a test. Numbers go in the closing notes of issues.
console.log(
  `paydoc bench — Node ${process.version}, ${(await import('node:os')).cpus().length} cores`,
);
printTable('Document language (issue 2)', await languageBenchmarks());
