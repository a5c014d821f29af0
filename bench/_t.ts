import { printTable } from './measure.js';
import { throughputBenchmarks, workloadBenchmarks } from './processor.js';
printTable('t', await throughputBenchmarks());
printTable('w', await workloadBenchmarks());
