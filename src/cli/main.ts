import { PaydocError } from '../errors/paydoc-error.js';
import { exitQuietlyOnClosedOutput, processIo } from './io.js';
import { runCli } from './program.js';

/** How long the process may linger after its command returned. */
const EXIT_GRACE_MS = 1_000;

exitQuietlyOnClosedOutput();
try {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
} catch (error) {
  // Bad input never reaches here; this is a broken installation or a bug.
  const code = error instanceof PaydocError ? error.code : 'internal';
  processIo.err(`paydoc: ${(error as Error).message} [${code}]`);
  process.exitCode = 2;
}
// The command is done: a handle left open (a socket still closing, a sandbox worker that did
// not answer) must not keep the process alive. The timer does not itself hold the process, so
// a clean exit happens at once.
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
