/**
 * paydoc as a library: `import { … } from 'paydoc'`.
 *
 * The curated surface, in the order a program meets it: read a document, validate it against
 * the type library, name it by its BlueId, process events against it (one at a time, or a whole
 * offline run as `paydoc run` does), and, to serve it, the HTTP app on a store. Everything else
 * under `src/` is internal and may change.
 *
 * @example
 * ```ts
 * import { defaultTypeRegistry, DocumentValidator, loadDocument, documentBlueId } from 'paydoc';
 * const registry = defaultTypeRegistry();
 * const loaded = loadDocument(yamlText);
 * if (loaded.ok) console.log(documentBlueId(loaded.document, registry));
 * ```
 */

// Reading documents.
export { loadYaml, DEFAULT_LOAD_LIMITS } from './model/load-yaml.js';
export type { LoadLimits, LoadResult, SourceMap } from './model/load-yaml.js';
export { loadDocument, checkDocument } from './validation/check-document.js';
export type { DocumentLoad } from './validation/check-document.js';
export type { JsonObject, JsonValue } from './model/json.js';
export { formatProblem } from './errors/problem.js';
export type { Problem, SourcePosition } from './errors/problem.js';

// Types and validation.
export { defaultTypeRegistry, loadTypeLibrary } from './types/load-library.js';
export type { TypeRegistry } from './types/type-registry.js';
export { DocumentValidator } from './validation/document-validator.js';
/** Own types: a folder of type documents beside the library (`--types DIR`, `POST /types`). */
export { loadOwnTypes, defaultLibraryPackages } from './types/load-library.js';
export { buildOwnRegistry, OWN_PACKAGE } from './types/own-types.js';
export type { OwnRegistry } from './types/own-types.js';
/** The linter of `paydoc validate` and `POST /blue`: findings with stable codes. */
export { lintDocument } from './validation/lint/lint-document.js';
export type { LintOptions } from './validation/lint/lint-document.js';
export { LINT_CATALOGUE, formatFinding } from './validation/lint/lint-codes.js';
export type { LintCode, LintFinding, LintSeverity } from './validation/lint/lint-codes.js';
/** Places a script's line:col in its YAML file. */
export { codeLocator } from './model/code-position.js';
/** Editor schemas (`paydoc schema`). */
export { exportSchema } from './types/json-schema.js';

// Content ids.
export { blueId } from './model/blue-id.js';
export { documentBlueId } from './types/document-id.js';

// Processing.
export { processEvent } from './processor/process-event.js';
export { DEFAULT_LIMITS } from './processor/processor-types.js';
export type {
  ProcessContext,
  ProcessLimits,
  ProcessorEvent,
  ProcessResult,
  ProcessStatus,
  AppliedPatch,
} from './processor/processor-types.js';
export { runOffline, parseEvents } from './engine/offline-run.js';
export type { OfflineInput, OfflineRun, OfflineStep, ParsedEvents } from './engine/offline-run.js';
/** Scenario folders, as `paydoc test` runs them. */
export { checkScenario, scenarioFolders, formatFailures } from './engine/scenario-check.js';
export type { ScenarioFailure, ScenarioReport, ScenarioContext } from './engine/scenario-check.js';

// Sandboxes for JavaScript Code steps.
export { IsolateHost } from './sandbox/isolate-host.js';
export type { IsolateHostOptions } from './sandbox/isolate-host.js';
export { SupervisedSandbox } from './sandbox/supervised-sandbox.js';
export type { SupervisedSandboxOptions } from './sandbox/supervised-sandbox.js';
export { DEFAULT_SCRIPT_LIMITS } from './sandbox/sandbox.js';
export type { Sandbox, ScriptLimits } from './sandbox/sandbox.js';

// Serving.
export { startServer } from './http/start-server.js';
export type { RunningServer, ServerOptions } from './http/start-server.js';

// Errors.
export { ERROR_CATALOGUE, isErrorCode } from './errors/error-code.js';
export type { ErrorCode } from './errors/error-code.js';
export { PaydocError } from './errors/paydoc-error.js';
