import { Command, CommanderError } from 'commander';
import { defaultTypeRegistry } from '../types/load-library.js';
import { DocumentValidator } from '../validation/document-validator.js';
import { idCommand } from './commands/id.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { typesCommand } from './commands/types.js';
import { validateCommand } from './commands/validate.js';
import type { CliIo, ExitCode } from './io.js';

/** Runs the paydoc CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = new Command('paydoc')
    .description('paydoc: programmable payment documents (Blue language)')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('validate')
    .description('validate documents against the type library (exit 0 valid, 1 invalid, 2 usage)')
    .argument('<file...>', 'YAML or JSON documents')
    .option('--json', 'machine-readable output')
    .action((files: string[], options: { json?: boolean }) => {
      exitCode = validateCommand(files, options, new DocumentValidator(defaultTypeRegistry()), io);
    });

  program
    .command('id')
    .description("print each document's BlueId, one per line")
    .argument('<file...>', 'YAML or JSON documents')
    .option('--json', 'machine-readable output')
    .action((files: string[], options: { json?: boolean }) => {
      exitCode = idCommand(files, options, defaultTypeRegistry(), io);
    });

  program
    .command('schema')
    .description('print the JSON Schema of a type (for editor autocompletion)')
    .argument('<type>', "type name, e.g. 'Card Payment' or 'Payments/Card Payment'")
    .option('--json', 'machine-readable output (the schema is always JSON)')
    .action((typeName: string) => {
      exitCode = schemaCommand(typeName, defaultTypeRegistry(), io);
    });

  program
    .command('run')
    .description('run a document offline through a list of events and print what it does')
    .argument('<document>', 'YAML or JSON document')
    .option(
      '--events <file>',
      'YAML list of events (Timeline Entry, {timer: ms}, {channel, event})',
    )
    .option('--json', 'machine-readable output')
    .action(async (documentFile: string, options: { events?: string; json?: boolean }) => {
      const registry = defaultTypeRegistry();
      exitCode = await runCommand(
        documentFile,
        options,
        registry,
        new DocumentValidator(registry),
        io,
      );
    });

  program
    .command('types')
    .description('list the type library')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => {
      exitCode = typesCommand(options, defaultTypeRegistry(), io);
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
