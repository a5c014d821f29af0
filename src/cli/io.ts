import { readFileSync } from 'node:fs';

/** Where a command writes; tests pass their own. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Output closed early (`paydoc types | head`) is the reader's choice, not a failure: the
 * process ends quietly, as Unix tools do, instead of dying on EPIPE with a stack trace.
 */
export function exitQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit codes: 0 success, 1 the input is invalid, 2 the command was called wrongly. */
export type ExitCode = 0 | 1 | 2;

export type FileRead = { ok: true; text: string } | { ok: false; message: string };

export function readTextFile(path: string): FileRead {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    return { ok: false, message: `${path}: ${reason}` };
  }
}
