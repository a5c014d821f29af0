import type { SourcePosition } from '../../errors/problem.js';
import type { CodeLocator } from '../../model/code-position.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { escapeSegment, parsePointer, toPointer } from '../../model/json-pointer.js';
import { normalizeAuthorPointer } from '../../model/author-view.js';
import type { SourceMap } from '../../model/load-yaml.js';
import { fieldKeys, locate, scalarOf } from '../../model/node.js';
import type { ContractSet, HandlerInfo } from '../../processor/contracts.js';
import { contractsOf } from '../../processor/contracts.js';
import { childScope, scopeDocument } from '../../processor/embedded-scopes.js';
import { effectiveContracts } from '../../types/effective-contracts.js';
import { isBuiltInExpression } from '../../processor/steps/expression.js';
import { splitTemplate } from '../../processor/steps/template.js';
import { aliasOf, referenceOf } from '../../types/type-refs.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { didYouMean, suggestion, suggestTypeName } from '../did-you-mean.js';
import type { PatchOp } from './changes.js';
import { changesetItems, PATCH_OPS, UNSUPPORTED_OPS } from './changes.js';
import type { DocumentFields } from './document-fields.js';
import { documentFields, writeSource } from './document-fields.js';
import type { LintCode, LintFinding } from './lint-codes.js';
import { lintFinding } from './lint-codes.js';
import type { ScriptLiteral, ScriptReport } from './lint-script.js';
import { analyseScript } from './lint-script.js';

export interface LintOptions {
  /** Where a line:col of a step's code is in the YAML file (model/code-position.ts). */
  locateCode?: CodeLocator;
  /** The loader's source map: the line:col of every other finding. */
  positions?: SourceMap;
}

/**
 * What a valid document would do wrong once it runs, found without running it: code that does
 * not compile, channels, operations and types that are not there (with the name most likely
 * meant), changes the processor refuses, and reads of fields the document never has. It reads
 * the document as the processor does (its scopes, its contracts, the `${…}` evaluator and the
 * sandbox's compile), and takes the type registry as given, so it answers for the types of
 * whoever posts the document. Never throws; findings in document order.
 */
export function lintDocument(
  document: JsonValue,
  registry: TypeRegistry,
  options: LintOptions = {},
): LintFinding[] {
  if (!isJsonObject(document)) return [];
  const findings: LintFinding[] = [];
  for (const scope of scopesOf(document, registry)) {
    lintScope({ ...scope, registry, options, findings });
  }
  return findings
    .map((finding) =>
      finding.position !== undefined || options.positions === undefined
        ? finding
        : {
            ...finding,
            position: locate(document, finding.pointer, options.positions) ?? { line: 1, col: 1 },
          },
    )
    .sort(byPosition);
}

interface Scope {
  /** The scope's pointer in the whole document (`''` for the document itself). */
  path: string;
  document: JsonObject;
}

interface Context extends Scope {
  registry: TypeRegistry;
  options: LintOptions;
  findings: LintFinding[];
}

interface ScopeContext extends Context {
  set: ContractSet;
  own: JsonObject;
  fields: DocumentFields;
}

/** Where a step's code and expressions are: its workflow, its name, the steps before it. */
interface StepContext {
  handlerKey: string;
  index: number;
  label: string;
  earlier: readonly string[];
}

/** The document and each embedded child (Core/Process Embedded), as the processor runs them. */
function scopesOf(root: JsonObject, registry: TypeRegistry): Scope[] {
  const scopes: Scope[] = [{ path: '', document: root }];
  for (let index = 0; index < scopes.length; index += 1) {
    const scope = scopes[index] as Scope;
    for (const relative of contractsOf(scope.document, registry).embedded) {
      const path = childScope(scope.path, relative);
      const child = scopeDocument(root, path);
      if (child !== undefined && !scopes.some((known) => known.path === path))
        scopes.push({ path, document: child });
    }
  }
  return scopes;
}

function lintScope(context: Context): void {
  const { document, registry } = context;
  const own = isJsonObject(document.contracts) ? document.contracts : {};
  const set = contractsOf(document, registry);
  const isOwn = (key: string): boolean => Object.hasOwn(own, key);
  const scope: ScopeContext = {
    ...context,
    set,
    own,
    fields: documentFields(document, set, registry, isOwn),
  };
  // Only what the author wrote: the type's built-in contracts are the library's.
  for (const channel of set.channels) {
    if (!isOwn(channel.key) || channel.pattern === undefined) continue;
    lintTypesIn(scope, channel.pattern, `${at(scope, channel.key)}/event`, 'event pattern');
  }
  for (const [key, operation] of set.operations) {
    if (!isOwn(key)) continue;
    const channel = scalarOf(operation.channel);
    if (typeof channel === 'string' && channel.trim() !== '')
      checkChannel(scope, channel.trim(), `${at(scope, key)}/channel`, `operation '${key}'`);
  }
  for (const [key, policy] of set.policies) {
    if (!isOwn(key) || !isJsonObject(policy.operations)) continue;
    for (const name of fieldKeys(policy.operations)) {
      if (set.operations.has(name)) continue;
      report(
        scope,
        'unknown_operation',
        `Actor Policy '${key}' has a rule for operation '${name}', which the document does not declare${suggestion(name, set.operations.keys())}`,
        `${at(scope, key)}/operations/${escapeSegment(name)}`,
      );
    }
  }
  for (const handler of set.handlers) if (isOwn(handler.key)) lintHandler(scope, handler);
}

function lintHandler(scope: ScopeContext, handler: HandlerInfo): void {
  const base = at(scope, handler.key);
  const label = `${handler.kind === 'operation' ? 'operation handler' : 'workflow'} '${handler.key}'`;
  if (handler.channel !== undefined) {
    checkChannel(scope, handler.channel, `${base}/channel`, label);
  } else if (handler.kind === 'workflow') {
    report(
      scope,
      'handler_without_channel',
      `${label} has no channel: no event ever reaches it (name the channel it listens to)`,
      base,
    );
  }
  if (handler.kind === 'operation' && handler.operation !== undefined) {
    if (!scope.set.operations.has(handler.operation)) {
      report(
        scope,
        'unknown_operation',
        `${label} implements operation '${handler.operation}', which the document does not declare (an Operation contract of that key)${suggestion(handler.operation, scope.set.operations.keys())}`,
        `${base}/operation`,
      );
    }
  }
  if (handler.pattern !== undefined)
    lintTypesIn(scope, handler.pattern, `${base}/event`, 'event pattern');
  const stepsPointer = Array.isArray(handler.node.steps) ? `${base}/steps` : `${base}/steps/items`;
  const earlier: string[] = [];
  handler.steps.forEach((step, index) => {
    const label = isJsonObject(step) && typeof step.name === 'string' ? step.name : `#${index + 1}`;
    lintStep(scope, step, `${stepsPointer}/${index}`, {
      handlerKey: handler.key,
      index,
      label,
      earlier: [...earlier],
    });
    if (isJsonObject(step) && typeof step.name === 'string') earlier.push(step.name);
  });
}

function checkChannel(scope: ScopeContext, name: string, pointer: string, who: string): void {
  const channels = scope.set.channels.map((channel) => channel.key);
  if (channels.includes(name)) return;
  const other = effectiveContracts(scope.document, scope.registry).nodeOf(name);
  const typeId = other?.type === undefined ? undefined : scope.registry.resolveRef(other.type);
  const why =
    typeId !== undefined
      ? `'${name}' is a ${scope.registry.nameOf(typeId)}, not a channel`
      : `the document has no channel '${name}'${suggestion(name, channels)}`;
  report(scope, 'unknown_channel', `${who} listens to channel '${name}', but ${why}`, pointer);
}

function lintStep(scope: ScopeContext, step: JsonValue, pointer: string, at: StepContext): void {
  if (!isJsonObject(step) || step.type === undefined) return;
  const { registry, set } = scope;
  const typeId = registry.resolveRef(step.type);
  // An unknown step type is the validator's to report.
  if (typeId === undefined) return;
  if (registry.isSubtype(typeId, set.known.javascriptCode)) {
    lintCode(scope, step, pointer, at);
  } else if (registry.isSubtype(typeId, set.known.updateDocument)) {
    lintChangeset(scope, step.changeset, `${pointer}/changeset`, at);
  } else if (registry.isSubtype(typeId, set.known.triggerEvent) && step.event !== undefined) {
    const eventPointer = `${pointer}/event`;
    lintTypesIn(scope, step.event, eventPointer, `step ${at.label} triggers an event whose`);
    // A node of the payload that is a document of its own keeps its expressions (run-step.ts).
    lintExpressions(scope, step.event, eventPointer, at, true);
  }
}

function lintCode(scope: ScopeContext, step: JsonObject, pointer: string, at: StepContext): void {
  const written = step.code;
  const code =
    typeof written === 'string'
      ? written
      : isJsonObject(written) && typeof written.value === 'string'
        ? written.value
        : undefined;
  if (code === undefined) return;
  const codePointer = typeof written === 'string' ? `${pointer}/code` : `${pointer}/code/value`;
  const report = analyseScript(code);
  const place = (literal: { location?: ScriptLiteral['location'] }): SourcePosition | undefined =>
    literal.location === undefined
      ? undefined
      : scope.options.locateCode?.(codePointer, literal.location.line, literal.location.col);
  const inCode = (literal: { location?: ScriptLiteral['location'] }): string =>
    literal.location === undefined
      ? ''
      : ` (line ${literal.location.line}:${literal.location.col} of its code)`;
  if (report.problem !== undefined) {
    const { problem } = report;
    reportAt(
      scope,
      problem.code,
      `step ${at.label}: ${problem.message}${inCode(problem)}`,
      codePointer,
      place(problem),
    );
    return;
  }
  readScript(scope, report, codePointer, at, `step ${at.label}`, (literal) => ({
    suffix: inCode(literal),
    position: place(literal),
  }));
}

/** The types, reads and step references of a compiled script or expression. */
function readScript(
  scope: ScopeContext,
  script: ScriptReport,
  pointer: string,
  at: StepContext,
  who: string,
  where: (literal: ScriptLiteral) => { suffix: string; position: SourcePosition | undefined },
): void {
  for (const literal of script.types) {
    const { suffix, position } = where(literal);
    checkType(scope, literal.text, pointer, `${who} returns an object whose`, suffix, position);
  }
  for (const literal of script.reads) {
    const { suffix, position } = where(literal);
    checkRead(scope, literal.text, pointer, who, suffix, position);
  }
  for (const literal of script.steps) {
    if (at.earlier.includes(literal.text)) continue;
    const { suffix, position } = where(literal);
    const earlier = at.earlier.length === 0 ? 'none' : at.earlier.join(', ');
    reportAt(
      scope,
      'unknown_step',
      `${who}: steps.${literal.text} names no earlier step of this workflow (earlier: ${earlier})${suggestion(literal.text, at.earlier)}${suffix}`,
      pointer,
      position,
    );
  }
}

function lintChangeset(
  scope: ScopeContext,
  changeset: JsonValue | undefined,
  pointer: string,
  at: StepContext,
): void {
  // A missing changeset is the validator's (the type requires one).
  if (changeset === undefined) return;
  const items = changesetItems(changeset);
  if (typeof items === 'string' && splitTemplate(items) !== undefined) {
    lintExpressions(scope, items, pointer, at, false);
    return;
  }
  if (items === undefined || typeof items === 'string') {
    report(
      scope,
      'patch_shape',
      `step ${at.label}: changeset must be a list of changes {op, path, val} or one \${…} expression`,
      pointer,
    );
    return;
  }
  const listPointer = Array.isArray(changeset) ? pointer : `${pointer}/items`;
  items.forEach((change, index) =>
    lintChange(
      scope,
      change,
      `${listPointer}/${index}`,
      at,
      writeSource(at.handlerKey, at.index, index),
    ),
  );
}

function lintChange(
  scope: ScopeContext,
  change: JsonValue,
  pointer: string,
  at: StepContext,
  source: string,
): void {
  // Every string of a change is resolved before it is applied: a change may be one expression.
  lintExpressions(scope, change, pointer, at, false);
  if (typeof change === 'string' && splitTemplate(change) !== undefined) return;
  const who = `step ${at.label}`;
  if (!isJsonObject(change)) {
    report(scope, 'patch_shape', `${who}: a change must be a map {op, path, val}`, pointer);
    return;
  }
  const op = checkOp(scope, change.op, `${pointer}/op`, who);
  const { path } = change;
  if (typeof path !== 'string') {
    report(
      scope,
      'patch_path',
      `${who}: a change needs a path, a JSON pointer such as /amount`,
      path === undefined ? pointer : `${pointer}/path`,
    );
    return;
  }
  const described = `${op === undefined || op === 'dynamic' ? String(change.op) : op} ${path}`;
  if (op !== undefined && op !== 'dynamic' && op !== 'remove') {
    if ((change.val ?? change.value) === undefined)
      report(scope, 'patch_value', `${who}: ${described} needs a val`, pointer);
  }
  if (path.includes('${')) return;
  let segments: string[];
  try {
    segments = parsePointer(path);
  } catch (error) {
    const hint = path.startsWith('/') ? '' : `; write '/${path}'`;
    report(scope, 'patch_path', `${who}: ${(error as Error).message}${hint}`, `${pointer}/path`);
    return;
  }
  if (segments.length === 0 || segments.includes('__proto__')) {
    const why =
      segments.length === 0
        ? 'the document root cannot be patched'
        : "the path segment '__proto__' is not allowed";
    report(scope, 'patch_path', `${who}: ${path}: ${why}`, `${pointer}/path`);
    return;
  }
  if (op !== 'replace' && op !== 'remove') return;
  if (!scope.fields.certain) return;
  const parent = segments.slice(0, -1);
  if (parent.length > 0 && !scope.fields.has(parent, source)) {
    const effect =
      op === 'replace' ? `replace would create it` : 'the change would fail (path does not exist)';
    report(
      scope,
      'unknown_field',
      `${who}: ${described}: ${toPointer(parent)} ${missing}; ${effect}${fieldHint(scope, parent)}`,
      `${pointer}/path`,
    );
  } else if (op === 'remove' && !scope.fields.has(segments, source)) {
    report(
      scope,
      'unknown_field',
      `${who}: ${described}: ${path} ${missing}; the change would fail (path does not exist)${fieldHint(scope, segments)}`,
      `${pointer}/path`,
    );
  }
}

const missing =
  'is neither in the document nor declared by its type nor written by an Update Document of it';

/** The op as the processor reads it; a finding for one it does not apply. */
function checkOp(
  scope: ScopeContext,
  raw: JsonValue | undefined,
  pointer: string,
  who: string,
): PatchOp | 'dynamic' | undefined {
  if (raw === undefined) return 'replace';
  if (typeof raw !== 'string') {
    report(scope, 'patch_op', `${who}: op must be text: add, replace or remove`, pointer);
    return undefined;
  }
  if (raw.includes('${')) return 'dynamic';
  const op = raw.toLowerCase();
  if ((PATCH_OPS as readonly string[]).includes(op)) return op as PatchOp;
  const why = UNSUPPORTED_OPS.has(op)
    ? `op '${raw}' is JSON Patch's, but the processor applies only add, replace and remove`
    : `unknown op '${raw}' (the processor applies add, replace and remove)${suggestion(raw, PATCH_OPS)}`;
  report(scope, 'patch_op', `${who}: ${why}`, pointer);
  return undefined;
}

/**
 * The `${…}` expressions in every string of `value`: each must be read by the built-in
 * evaluator or compile where the sandbox evaluates it (`return { value: (…) };`, as
 * step-scope.ts runs it). `verbatim`: a nested node with contracts is a document of its own,
 * whose expressions are not this step's (Trigger Event).
 */
function lintExpressions(
  scope: ScopeContext,
  value: JsonValue,
  pointer: string,
  at: StepContext,
  verbatim: boolean,
  top = true,
): void {
  if (typeof value === 'string') {
    for (const part of splitTemplate(value) ?? []) {
      if ('expr' in part) lintExpression(scope, part.expr, pointer, at);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) =>
      lintExpressions(scope, item, `${pointer}/${index}`, at, verbatim, false),
    );
  } else if (isJsonObject(value)) {
    if (verbatim && !top && Object.hasOwn(value, 'contracts')) return;
    for (const key of Object.keys(value))
      lintExpressions(
        scope,
        value[key] as JsonValue,
        `${pointer}/${escapeSegment(key)}`,
        at,
        verbatim,
        false,
      );
  }
}

function lintExpression(scope: ScopeContext, expr: string, pointer: string, at: StepContext): void {
  const script = analyseScript(`return { value: (${expr}) };`);
  const who = `step ${at.label}: \${${expr}}`;
  if (script.problem !== undefined) {
    if (!isBuiltInExpression(expr))
      report(scope, 'expression_syntax', `${who}: ${script.problem.message}`, pointer);
    return;
  }
  readScript(scope, script, pointer, at, who, () => ({ suffix: '', position: undefined }));
}

/** Every `type` in a pattern or event payload, at any depth. */
function lintTypesIn(
  scope: ScopeContext,
  value: JsonValue,
  pointer: string,
  who: string,
  depth = 0,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => lintTypesIn(scope, item, `${pointer}/${index}`, who, depth));
    return;
  }
  if (!isJsonObject(value)) return;
  // The event's own type must be known (no message of an unknown type gets in); a type deeper
  // inside is only data the event carries.
  if (Object.hasOwn(value, 'type'))
    checkType(scope, value.type, `${pointer}/type`, who, '', undefined, depth === 0);
  for (const key of Object.keys(value)) {
    if (key === 'type' || key === 'value' || key === 'blueId') continue;
    lintTypesIn(scope, value[key] as JsonValue, `${pointer}/${escapeSegment(key)}`, who, depth + 1);
  }
}

/** A type reference must name a type of the registry; a near miss is most likely a typo. */
function checkType(
  scope: ScopeContext,
  ref: JsonValue | undefined,
  pointer: string,
  who: string,
  suffix = '',
  position?: SourcePosition,
  mustBeKnown = false,
): void {
  const { registry } = scope;
  const unknown = mustBeKnown ? 'unknown_event_type' : 'unlisted_type';
  const where = mustBeKnown
    ? 'is not a known type (the library or your own, --types)'
    : 'is not in the type library';
  const alias = aliasOf(ref);
  if (alias === undefined) {
    const id = referenceOf(ref);
    if (id !== undefined && registry.lookup(id) === undefined)
      reportAt(scope, unknown, `${who} type {blueId: ${id}} ${where}${suffix}`, pointer, position);
    return;
  }
  if (alias.includes('${') || registry.lookup(alias) !== undefined) return;
  const known = suggestTypeName(registry, alias);
  if (known !== undefined) {
    reportAt(
      scope,
      'misspelled_type',
      `${who} type '${alias}' is unknown; did you mean '${known}'?${suffix}`,
      pointer,
      position,
    );
  } else {
    reportAt(scope, unknown, `${who} type '${alias}' ${where}${suffix}`, pointer, position);
  }
}

/** A `document(pointer)` read of a field the scope never has. */
function checkRead(
  scope: ScopeContext,
  raw: string,
  pointer: string,
  who: string,
  suffix: string,
  position: SourcePosition | undefined,
): void {
  let normalized: string;
  try {
    normalized = normalizeAuthorPointer(raw);
  } catch (error) {
    reportAt(
      scope,
      'invalid_pointer',
      `${who}: document('${raw}'): ${(error as Error).message}${suffix}`,
      pointer,
      position,
    );
    return;
  }
  if (!scope.fields.certain) return;
  const segments = parsePointer(normalized);
  if (scope.fields.has(segments)) return;
  reportAt(
    scope,
    'unknown_field',
    `${who}: document('${raw}') reads ${normalized}, which ${missing}${fieldHint(scope, segments)}${suffix}`,
    pointer,
    position,
  );
}

const MAX_SUGGESTION_NAMES = 1000;

/** `; did you mean '/amount'?` for a path whose parent is there and whose name is close to a field. */
function fieldHint(scope: ScopeContext, segments: readonly string[]): string {
  const parent = segments.slice(0, -1);
  const name = segments[segments.length - 1];
  if (name === undefined || !scope.fields.has(parent)) return '';
  const names = scope.fields.namesUnder(parent);
  // A suggestion is worth a few comparisons, not a scan of a huge map per read.
  if (names.length > MAX_SUGGESTION_NAMES) return '';
  const found = didYouMean(name, names);
  return found === undefined ? '' : `; did you mean '${toPointer([...parent, found])}'?`;
}

function at(scope: Scope, key: string): string {
  return `${scope.path}/contracts/${escapeSegment(key)}`;
}

function report(scope: Context, code: LintCode, message: string, pointer: string): void {
  scope.findings.push(lintFinding(code, message, pointer));
}

function reportAt(
  scope: Context,
  code: LintCode,
  message: string,
  pointer: string,
  position: SourcePosition | undefined,
): void {
  scope.findings.push(lintFinding(code, message, pointer, position));
}

function byPosition(a: LintFinding, b: LintFinding): number {
  const lineA = a.position?.line ?? Number.MAX_SAFE_INTEGER;
  const lineB = b.position?.line ?? Number.MAX_SAFE_INTEGER;
  if (lineA !== lineB) return lineA - lineB;
  return (a.position?.col ?? 0) - (b.position?.col ?? 0);
}
