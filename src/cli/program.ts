import { Command, CommanderError } from 'commander';
import type { IdOptions } from './commands/id.js';
import { idCommand } from './commands/id.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { testCommand } from './commands/test.js';
import { typesCommand } from './commands/types.js';
import { validateCommand } from './commands/validate.js';
import type { CliIo, ExitCode } from './io.js';
import type { AccountsOptions } from './commands/accounts.js';
import {
  createAccountCommand,
  createKeyCommand,
  listAccountsCommand,
  listKeysCommand,
  meCommand,
  revokeKeyCommand,
  timelinesCommand,
} from './commands/accounts.js';
import type { ClientOptions } from './commands/client.js';
import { pushTypesCommand } from './commands/client.js';
import { commandTypes, TYPES_OPTION } from './type-options.js';
import {
  getCommand,
  historyCommand,
  postCommand,
  SERVER_URL_HELP,
  submitCommand,
} from './commands/client.js';
import type { ExportOptions, VerifyOptions } from './commands/verify.js';
import { exportCommand, verifyCommand } from './commands/verify.js';
import type { ServeOptions } from './commands/serve.js';
import { serveCommand } from './commands/serve.js';

/** Runs the paydoc CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = new Command('paydoc')
    .description('paydoc: programmable payment documents (Blue language)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('validate')
    .description(
      'validate and lint documents (exit 0 valid, warnings included; 1 invalid or a lint error; 2 usage)',
    )
    .argument('<file...>', 'YAML or JSON documents')
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output')
    .option('--strict', 'lint warnings fail the file too (exit 1)')
    .action((files: string[], options: { json?: boolean; strict?: boolean; types?: string }) => {
      const types = commandTypes(options, io);
      if (types === undefined) return void (exitCode = 1);
      exitCode = validateCommand(files, options, types.validator, types.registry, io);
    });

  program
    .command('id')
    .description("print each document's BlueId (of the file as written), one per line")
    .argument('<file...>', 'YAML or JSON documents')
    .option(
      '--initialized',
      "the documentId initialisation gives instead (the server's, with --account or when it binds no timeline)",
    )
    .option(
      '--account <id>',
      'with --initialized: bind timelines as the server does for this poster (acct_…)',
    )
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (files: string[], options: IdOptions & { types?: string }) => {
      const types = commandTypes(options, io);
      if (types === undefined) return void (exitCode = 1);
      exitCode = await idCommand(files, options, types.registry, types.validator, io);
    });

  program
    .command('schema')
    .description(
      "print the editor JSON Schema of a type, of a document's type or of a type definition file; --all writes the bundle for every document (docs/editor-setup.md)",
    )
    .argument(
      '[target]',
      "type name ('Card Payment', 'Payments/Card Payment'), a document or a type definition file",
    )
    .option('--all', 'write paydoc.schema.json (every type) and print the editor settings using it')
    .option(
      '--out <dir>',
      'with --all: folder for paydoc.schema.json (default: the current folder)',
    )
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output (the schema is always JSON)')
    .action(
      (
        target: string | undefined,
        options: Parameters<typeof schemaCommand>[1] & { types?: string },
      ) => {
        const types = commandTypes(options, io);
        if (types === undefined) return void (exitCode = 1);
        exitCode = schemaCommand(target, options, types.registry, io);
      },
    );

  program
    .command('run')
    .description('run a document offline through a list of events and print what it does')
    .argument('<document>', 'YAML or JSON document')
    .option(
      '--events <file>',
      'YAML list of events: Timeline Entry, {timer}, {channel, event}, {created}, {network} (see docs/events-file.md)',
    )
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output')
    .action(
      async (
        documentFile: string,
        options: { events?: string; json?: boolean; types?: string },
      ) => {
        const types = commandTypes(options, io);
        if (types === undefined) return void (exitCode = 1);
        exitCode = await runCommand(documentFile, options, types.registry, types.validator, io);
      },
    );

  program
    .command('test')
    .description(
      'run scenario folders (scenario.yaml, document, events) offline and check what they expect (exit 0 all pass, 1 any fails, 2 usage)',
    )
    .argument('[dir...]', 'a scenario folder, or a folder of them (default .)')
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (dirs: string[], options: { json?: boolean; types?: string }) => {
      const types = commandTypes(options, io);
      if (types === undefined) return void (exitCode = 1);
      exitCode = await testCommand(dirs, options, types.registry, types.validator, io);
    });

  const types = program
    .command('types')
    .description(
      'list the type library (and --types DIR), sorted, with a summary of each type; `types push` adds own types to your account',
    )
    .option(...TYPES_OPTION)
    .option('--json', 'machine-readable output')
    .option(
      '--package <name>',
      'only the types of one package (Core, Conversation, Payments, Own, …)',
    )
    .action((options: { json?: boolean; package?: string; types?: string }) => {
      const loaded = commandTypes(options, io);
      if (loaded === undefined) return void (exitCode = 1);
      exitCode = typesCommand(options, loaded.registry, io);
    });
  clientOptions(
    types
      .command('push')
      .description(
        'add own types to your account on the server (POST /types), a file or a folder of them',
      )
      .argument('<path...>', 'type documents (YAML/JSON) or folders of them'),
  ).action(async (paths: string[], options: ClientOptions) => {
    exitCode = await pushTypesCommand(paths, options, env, io);
  });

  program
    .command('serve')
    .description('run the HTTP service (SQLite) until SIGINT/SIGTERM')
    .option('--port <n>', 'TCP port (default $PORT or 3000)')
    .option('--db <file>', 'SQLite database file (default $PAYDOC_DB or ./paydoc.db)')
    .option('--host <host>', 'address to listen on (default $HOST or 127.0.0.1)')
    .action(async (options: ServeOptions) => {
      exitCode = await serveCommand(options, env, io, stopSignal());
    });

  const accounts = program
    .command('accounts')
    .description(
      'accounts and keys, as a client of the server (--url or $PAYDOC_URL; operator commands use $PAYDOC_ADMIN_KEY, the others $PAYDOC_API_KEY)',
    );
  const accountsOptions = (command: Command, key: 'operator' | 'account'): Command =>
    command
      .option('--url <url>', SERVER_URL_HELP)
      .option(
        '--key <key>',
        key === 'operator'
          ? 'the operator key (default $PAYDOC_ADMIN_KEY)'
          : 'API key (default $PAYDOC_API_KEY)',
      )
      .option('--json', 'machine-readable output');

  accountsOptions(
    accounts
      .command('create')
      .description(
        'create an account (or give an existing one a new key) and print its API key (operator)',
      )
      .argument('<email>', "the account's email")
      .option('--idempotency-key <key>', 'Idempotency-Key header'),
    'operator',
  ).action(async (email: string, options: AccountsOptions) => {
    exitCode = await createAccountCommand(email, options, env, io);
  });

  accountsOptions(
    accounts
      .command('list')
      .description('list accounts, a page at a time (operator)')
      .option('--after <id>', 'list the accounts after this id (the next page)')
      .option('--limit <n>', 'accounts per page (default 100, at most 1000)'),
    'operator',
  ).action(async (options: AccountsOptions & { after?: string; limit?: string }) => {
    exitCode = await listAccountsCommand(options, env, io);
  });

  accountsOptions(accounts.command('me').description("the key's own account"), 'account').action(
    async (options: AccountsOptions) => {
      exitCode = await meCommand(options, env, io);
    },
  );

  accountsOptions(
    accounts
      .command('timelines')
      .description('the timelines the account owns, with the documents bound to each'),
    'account',
  ).action(async (options: AccountsOptions) => {
    exitCode = await timelinesCommand(options, env, io);
  });

  const keys = accounts
    .command('keys')
    .description("the account's own keys: list (the default), create, revoke <id>");
  accountsOptions(
    keys
      .command('list', { isDefault: true })
      .description('list the keys (never the keys themselves)'),
    'account',
  ).action(async (options: AccountsOptions) => {
    exitCode = await listKeysCommand(options, env, io);
  });
  accountsOptions(
    keys
      .command('create')
      .description('create a key and print it (shown once)')
      .option('--idempotency-key <key>', 'Idempotency-Key header'),
    'account',
  ).action(async (options: AccountsOptions) => {
    exitCode = await createKeyCommand(options, env, io);
  });
  accountsOptions(
    keys
      .command('revoke')
      .description('revoke a key: it never works again')
      .argument('<id>', 'the key id (key_…), as keys list shows it'),
    'account',
  ).action(async (id: string, options: AccountsOptions) => {
    exitCode = await revokeKeyCommand(id, options, env, io);
  });

  // A function declaration, hoisted: `types push` (declared above) is a client command too.
  function clientOptions(command: Command): Command {
    return command
      .option('--url <url>', SERVER_URL_HELP)
      .option('--key <key>', 'API key (default $PAYDOC_API_KEY)')
      .option('--idempotency-key <key>', 'Idempotency-Key header')
      .option('--json', 'print the answer as JSON');
  }

  clientOptions(
    program
      .command('post')
      .description('post a document to the server (POST /blue) and print a summary')
      .argument('<document>', 'YAML or JSON document')
      .option('--yaml', 'print the whole document as YAML')
      .option('-q, --quiet', "print only the new document's id"),
  ).action(async (file: string, options: ClientOptions) => {
    exitCode = await postCommand(file, options, env, io);
  });

  clientOptions(
    program
      .command('submit')
      .description("append an event to one's timeline (POST /timelines/{id}/entries)")
      .argument('<timeline>', 'timeline id')
      .argument('<event>', 'YAML or JSON file: the message, or {message, sequence?, prevEntry?}'),
  ).action(async (timelineId: string, file: string, options: ClientOptions) => {
    exitCode = await submitCommand(timelineId, file, options, env, io);
  });

  // Reads: no Idempotency-Key, which only a POST takes.
  const readOptions = (command: Command): Command =>
    command
      .option('--url <url>', SERVER_URL_HELP)
      .option('--key <key>', 'API key (default $PAYDOC_API_KEY)')
      .option('--json', 'print the answer as JSON');

  readOptions(
    program
      .command('get')
      .description("a document's current state (GET /blue/{id}): a summary, or --json/--yaml whole")
      .argument('<documentId>', 'the document id (paydoc post prints it)')
      .option('--yaml', 'print the whole document as YAML')
      .option('--pointer <pointer>', 'print only the value at this JSON pointer (e.g. /status)'),
  ).action(async (documentId: string, options: ClientOptions) => {
    exitCode = await getCommand(documentId, options, env, io);
  });

  readOptions(
    program
      .command('history')
      .description(
        'every event a document processed (GET /blue/{id}/history): one line each, or --json whole',
      )
      .argument('<documentId>', 'the document id (paydoc post prints it)')
      .option('--source <file>', 'the file you posted: script errors are placed at its line:col'),
  ).action(async (documentId: string, options: ClientOptions) => {
    exitCode = await historyCommand(documentId, options, env, io);
  });

  program
    .command('export')
    .description("a document's export bundle (GET /blue/{id}/export), for paydoc verify")
    .argument('<documentId>', 'the document id (paydoc post prints it)')
    .option('--url <url>', SERVER_URL_HELP)
    .option('--key <key>', 'API key (default $PAYDOC_API_KEY)')
    .option('-o, --output <file>', 'write the bundle here (default: standard output)')
    .option(
      '--previous <bundle>',
      'an older bundle: include consistency proofs from its checkpoints',
    )
    .option('--inputs <file>', "also write the bundle's inputs as a paydoc run events file")
    .action(async (documentId: string, options: ExportOptions) => {
      exitCode = await exportCommand(documentId, options, env, io);
    });

  program
    .command('verify')
    .description(
      'verify an export bundle offline: signatures, chains, proofs, and a replay of every input (exit 0 verified, 1 not)',
    )
    .argument('<bundle>', 'the bundle (paydoc export writes it)')
    .option(
      '--previous <bundle>',
      'an older bundle of the same document: prove this one extends it',
    )
    .option('--explain', 'tell the story: who said what, when, what the rules did, what moved')
    .option(
      '--keys <file>',
      "trust only these server keys (the server's /.well-known/paydoc/keys, saved)",
    )
    .option('--json', 'machine-readable output')
    .action(async (file: string, options: VerifyOptions) => {
      exitCode = await verifyCommand(file, options, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? 0
        : 2;
    }
    throw error;
  }
  return exitCode;
}

/** Resolves on the first SIGINT or SIGTERM (the server then shuts down cleanly). */
function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
