import type { ScenarioReport } from '../../engine/scenario-check.js';
import { checkScenario, formatFailures, scenarioFolders } from '../../engine/scenario-check.js';
import { IsolateHost } from '../../sandbox/isolate-host.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import type { DocumentValidator } from '../../validation/document-validator.js';
import type { CliIo, ExitCode } from '../io.js';

/**
 * `paydoc test [dir...]`: runs every scenario each directory names (a scenario folder, or a
 * folder of them; default the working directory) offline and compares it with its
 * expectations. Exit 0 when all pass, 1 when any fails, 2 when a directory names no scenario.
 */
export async function testCommand(
  dirs: readonly string[],
  options: { json?: boolean },
  registry: TypeRegistry,
  validator: DocumentValidator,
  io: CliIo,
): Promise<ExitCode> {
  const folders: string[] = [];
  for (const dir of dirs.length > 0 ? dirs : ['.']) {
    const found = scenarioFolders(dir);
    if (!found.ok) {
      io.err(`paydoc test: ${found.message}`);
      return 2;
    }
    folders.push(...found.folders);
  }
  const sandbox = new IsolateHost();
  const reports: ScenarioReport[] = [];
  try {
    for (const folder of folders) {
      const report = await checkScenario(folder, { registry, validator, sandbox });
      reports.push(report);
      // Lines as they come: a long run shows where it is.
      if (options.json !== true) io.out(reportText(report));
    }
  } finally {
    await sandbox.close();
  }
  const failed = reports.filter((report) => report.failures.length > 0).length;
  const passed = reports.length - failed;
  if (options.json === true)
    io.out(
      JSON.stringify(
        {
          passed,
          failed,
          scenarios: reports.map((report) => ({
            name: report.name,
            folder: report.folder,
            passed: report.failures.length === 0,
            failures: report.failures,
            ...(report.run === undefined ? {} : { blueId: report.run.blueId }),
          })),
        },
        null,
        2,
      ),
    );
  // Prefixed: a line of exactly `N passed, N failed` is what CI looks for in the test suite's own output.
  else io.out(`scenarios: ${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

function reportText(report: ScenarioReport): string {
  if (report.failures.length === 0) return `✓ ${report.name}`;
  return [`✗ ${report.name}`, ...formatFailures(report.failures).map((line) => `    ${line}`)].join(
    '\n',
  );
}
