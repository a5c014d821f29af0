import { serverTimelineId } from '../../engine/bind-document.js';
import { offlineTimeline } from '../../engine/offline-run.js';
import { formatProblem } from '../../errors/problem.js';
import { blueId } from '../../model/blue-id.js';
import { loadYaml } from '../../model/load-yaml.js';
import type { TimelineContract } from '../../processor/bind-participants.js';
import { bindParticipants } from '../../processor/bind-participants.js';
import { processEvent } from '../../processor/process-event.js';
import { IsolateHost } from '../../sandbox/isolate-host.js';
import type { Sandbox } from '../../sandbox/sandbox.js';
import { documentBlueId } from '../../types/document-id.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { checkDocument } from '../../validation/check-document.js';
import type { DocumentValidator } from '../../validation/document-validator.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';
import { initializedDocumentId } from '../../processor/markers.js';

export interface IdOptions {
  json?: boolean;
  /** Print the document id initialisation gives (`contracts.initialized.documentId`). */
  initialized?: boolean;
  /** With `initialized`: bind timelines as the server does for a document this account posts. */
  account?: string;
}

interface IdLine {
  file: string;
  /** The BlueId of the file as written. */
  blueId?: string;
  /** With --initialized: the id initialisation gives once the timeline channels are bound. */
  documentId?: string;
  /** True when documentId is the server's: posted by --account, or nothing the server binds. */
  asServer?: boolean;
  /** The channels the server would bind to timelines named after the poster (without --account). */
  serverBound?: string[];
  error?: string;
}

/**
 * `paydoc id <file...>`: each document's BlueId, one per line, hashed as written. With
 * `--initialized`, the id the document gets when it is initialised instead: the BlueId of the
 * document once its timeline channels are bound (before the marker that records it). The
 * server names the timelines it binds after the poster's account, so only `--account` (or a
 * document with no channel for the server to bind) gives the server's documentId; offline the
 * channels are bound as `paydoc run` binds them (a participant's email names its timeline).
 */
export async function idCommand(
  files: string[],
  options: IdOptions,
  registry: TypeRegistry,
  validator: DocumentValidator,
  io: CliIo,
): Promise<ExitCode> {
  if (options.account !== undefined && options.initialized !== true) {
    io.err('paydoc id: --account goes with --initialized');
    return 2;
  }
  let code: ExitCode = 0;
  const lines: IdLine[] = [];
  // Initialising may run a lifecycle workflow's JavaScript; the plain id never does.
  let sandbox: IsolateHost | undefined;
  try {
    for (const file of files) {
      const read = readTextFile(file);
      if (!read.ok) {
        lines.push({ file, error: read.message });
        code = 2;
        continue;
      }
      if (options.initialized === true) {
        sandbox ??= new IsolateHost();
        const line = await initializedId(file, read.text, options.account, {
          registry,
          validator,
          sandbox,
        });
        if (line.error !== undefined && code === 0) code = 1;
        lines.push(line);
        continue;
      }
      const loaded = loadYaml(read.text);
      if (!loaded.ok) {
        lines.push({
          file,
          error: loaded.problems.map((problem) => formatProblem(problem, file)).join('\n'),
        });
        if (code === 0) code = 1;
        continue;
      }
      lines.push({ file, blueId: documentBlueId(loaded.value, registry) });
    }
  } finally {
    await sandbox?.close();
  }
  if (options.json) io.out(JSON.stringify(lines, null, 2));
  else {
    for (const line of lines) {
      if (line.error !== undefined) io.err(line.error);
      else io.out(line.documentId ?? line.blueId ?? '');
      if (line.serverBound !== undefined && line.serverBound.length > 0)
        io.err(
          `${line.file}: offline bindings (a participant's timeline is named by its email); the server binds ${line.serverBound.join(', ')} to timelines named after the poster's account, so its documentId differs: add --account <acct_…> (paydoc accounts me) to predict it`,
        );
    }
  }
  return code;
}

async function initializedId(
  file: string,
  text: string,
  account: string | undefined,
  context: { registry: TypeRegistry; validator: DocumentValidator; sandbox: Sandbox },
): Promise<IdLine> {
  // The server initialises only a document that loads and validates.
  const checked = checkDocument(text, context.validator);
  if (!checked.ok)
    return {
      file,
      error: checked.problems.map((problem) => formatProblem(problem, file)).join('\n'),
    };
  const posted = checked.document;
  const serverBound: string[] = [];
  const postedId = blueId(posted);
  const timelineOf = (contract: TimelineContract): string => {
    if (account !== undefined) return serverTimelineId(account, postedId, contract);
    serverBound.push(contract.pointer);
    return offlineTimeline(contract);
  };
  const bound = bindParticipants(posted, context.registry, timelineOf);
  const initialized = await processEvent(bound, { kind: 'initialize' }, context);
  if (initialized.status.kind === 'rejected')
    return {
      file,
      error: `${file}: initialisation is rejected: ${initialized.status.reason} [${initialized.status.code}]`,
    };
  return {
    file,
    blueId: documentBlueId(posted, context.registry),
    documentId: initializedDocumentId(initialized.document),
    asServer: serverBound.length === 0,
    ...(serverBound.length === 0 ? {} : { serverBound }),
  };
}
