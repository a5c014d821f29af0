import { PaydocError } from '../errors/paydoc-error.js';
import { processIo } from './io.js';
import { runCli } from './program.js';

try {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
} catch (error) {
  // Bad input never reaches here; this is a broken installation or a bug.
  const code = error instanceof PaydocError ? error.code : 'internal';
  processIo.err(`paydoc: ${(error as Error).message} [${code}]`);
  process.exitCode = 2;
}
