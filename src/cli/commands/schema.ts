import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PaydocError } from '../../errors/paydoc-error.js';
import { formatProblem } from '../../errors/problem.js';
import type { JsonObject, JsonValue } from '../../model/json.js';
import { isJsonObject, ownValue } from '../../model/json.js';
import { loadYaml } from '../../model/load-yaml.js';
import { fieldKeys } from '../../model/node.js';
import { buildRegistry, isManifest } from '../../types/build-registry.js';
import { exportBundle, exportSchema } from '../../types/json-schema.js';
import type { PackageSource, TypeSource } from '../../types/type-definition.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import type { CliIo, ExitCode } from '../io.js';
import { readTextFile } from '../io.js';

export interface SchemaOptions {
  /** Write the bundle of every type (`paydoc.schema.json`) and print the editor setup. */
  all?: boolean;
  /** With `all`: the folder the bundle goes to (default: the current folder). */
  out?: string;
  json?: boolean;
}

/** The bundle's file name; editor settings and the modeline name it. */
export const BUNDLE_FILE = 'paydoc.schema.json';

/** Where the VS Code mapping applies: documents, but not a type library (which declares types). */
const DOCUMENT_GLOBS = ['documents/**/*.yaml', '!documents/types/**'];

/** Package of a type definition file that sits in no package folder. */
const LOOSE_PACKAGE = 'Local';

/**
 * `paydoc schema <Type|file>`: the editor JSON Schema (draft-07) of a type, of a document's type,
 * or of a type definition file compiled against `registry`; `paydoc schema --all`: the bundle of
 * every type and the editor settings that use it. `cwd` is where printed paths are relative to.
 */
export function schemaCommand(
  target: string | undefined,
  options: SchemaOptions,
  registry: TypeRegistry,
  io: CliIo,
  cwd: string = process.cwd(),
): ExitCode {
  if (options.all === true) {
    if (target !== undefined) {
      io.err(`paydoc schema: give a type or file, or --all, not both [usage]`);
      return 2;
    }
    return writeBundle(options, registry, io, cwd);
  }
  if (options.out !== undefined) {
    io.err(`paydoc schema: --out goes with --all [usage]`);
    return 2;
  }
  if (target === undefined) {
    io.err(`paydoc schema: name a type, a document or a type file, or give --all [usage]`);
    return 2;
  }
  const definition = registry.lookup(target);
  if (definition !== undefined) return print(exportSchema(registry, definition.id), io);
  if (looksLikeFile(target, cwd)) return fileSchema(resolve(cwd, target), target, registry, io);
  io.err(`unknown type '${target}' (paydoc types lists them) [unknown_type]`);
  return 2;
}

function print(schema: JsonObject, io: CliIo): ExitCode {
  io.out(JSON.stringify(schema, null, 2));
  return 0;
}

/** A type name never ends in a file extension; a path that exists is a file whatever its name. */
function looksLikeFile(target: string, cwd: string): boolean {
  return /\.(ya?ml|json)$/i.test(target) || existsSync(resolve(cwd, target));
}

function fileSchema(path: string, shown: string, registry: TypeRegistry, io: CliIo): ExitCode {
  const read = readTextFile(path);
  if (!read.ok) {
    // The reason follows `<path>: `; the file is named as the user wrote it.
    io.err(`${shown}: ${read.message.slice(path.length + 2)} [file_not_found]`);
    return 2;
  }
  const loaded = loadYaml(read.text);
  if (!loaded.ok) {
    for (const problem of loaded.problems) io.err(formatProblem(problem, shown));
    return 1;
  }
  const node = loaded.value;
  if (!isJsonObject(node)) {
    io.err(`${shown}: expected a map (a document or a type definition) [invalid_node]`);
    return 1;
  }
  if (basename(path) === 'package.yaml') {
    io.err(`${shown}: a package manifest; name one of the package's type files [usage]`);
    return 2;
  }
  const manifest = packageManifest(dirname(path));
  if (manifest !== undefined || isTypeDefinition(node)) {
    return typeFileSchema(node, path, shown, manifest, registry, io);
  }
  if (node.type === undefined || node.type === null) {
    // A document that names no type is checked as any document is: the bundle dispatches on
    // `type`, and without one it still checks the contracts.
    return print(exportBundle(registry), io);
  }
  const typeId = registry.resolveRef(node.type);
  if (typeId === undefined) {
    io.err(
      `${shown}: unknown type ${JSON.stringify(node.type)} (paydoc types lists them) [unknown_type]`,
    );
    return 2;
  }
  return print(exportSchema(registry, typeId), io);
}

/**
 * Is this map a type definition rather than a document? A document holds values; a type
 * definition (documents/types/<pkg>/<x>.yaml) has a text `name` and declares fields. The rule:
 * a file beside a `package.yaml` is a type definition (checked by the caller); otherwise one with
 * a text `name` and at least one top-level field that declares is one. A field declares when its
 * node has `schema` constraints, or a `description` and nothing that holds a value (no `value`,
 * `items` or fields of its own): `amount: {type: Integer, description: …}`, `event:
 * {description: …}`. A document's node that only declares a type (`count: {type: Integer}`)
 * carries neither, so documents with a `name` (scenarios, tests) stay documents.
 */
export function isTypeDefinition(node: JsonObject): boolean {
  if (typeof node.name !== 'string') return false;
  return fieldKeys(node).some((key) => {
    const field = ownValue(node, key);
    if (!isJsonObject(field)) return false;
    if (isJsonObject(field.schema)) return true;
    return (
      typeof field.description === 'string' &&
      !Object.hasOwn(field, 'value') &&
      !Object.hasOwn(field, 'items') &&
      fieldKeys(field).length === 0
    );
  });
}

interface Manifest {
  name: string;
  publishedBlueIds: Record<string, string>;
}

/** The package.yaml of a package folder, if `folder` is one. */
function packageManifest(folder: string): Manifest | undefined {
  const path = join(folder, 'package.yaml');
  if (!existsSync(path)) return undefined;
  const loaded = loadYaml(readFileSync(path, 'utf8'));
  if (!loaded.ok || !isManifest(loaded.value)) return undefined;
  const published = isJsonObject(loaded.value.publishedBlueIds)
    ? loaded.value.publishedBlueIds
    : {};
  return {
    name: loaded.value.name,
    publishedBlueIds: Object.fromEntries(
      Object.entries(published).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    ),
  };
}

/** Compiles a type definition file against the library (replacing a type of the same name). */
function typeFileSchema(
  node: JsonObject,
  path: string,
  shown: string,
  manifest: Manifest | undefined,
  registry: TypeRegistry,
  io: CliIo,
): ExitCode {
  if (typeof node.name !== 'string' || node.name === '') {
    io.err(`${shown}: a type definition needs a name [invalid_node]`);
    return 1;
  }
  const packageName = manifest?.name ?? LOOSE_PACKAGE;
  const source: TypeSource = { name: node.name, packageName, node, file: path };
  let extended: TypeRegistry;
  try {
    extended = withType(registry, source, manifest?.publishedBlueIds ?? {});
  } catch (error) {
    if (!(error instanceof PaydocError)) throw error;
    io.err(`${shown}: ${error.message} [${error.code}]`);
    return error.code === 'unknown_type' ? 2 : 1;
  }
  const definition = extended.lookup(`${packageName}/${node.name}`);
  if (definition === undefined) {
    io.err(`${shown}: type ${packageName}/${node.name} did not compile [internal]`);
    return 2;
  }
  return print(exportSchema(extended, definition.id), io);
}

/**
 * The registry's types plus one (in place of a type of the same qualified name: the file may be
 * an edited copy of a library type), rebuilt so that every BlueId and alias is recomputed.
 */
export function withType(
  registry: TypeRegistry,
  source: TypeSource,
  publishedBlueIds: Readonly<Record<string, string>> = {},
): TypeRegistry {
  const packages = new Map<string, { types: TypeSource[]; published: Record<string, string> }>();
  const packageOf = (name: string) => {
    let entry = packages.get(name);
    if (entry === undefined) {
      entry = { types: [], published: {} };
      packages.set(name, entry);
    }
    return entry;
  };
  const replaced = `${source.packageName}/${source.name}`;
  for (const definition of registry.list()) {
    if (definition.basic !== undefined || definition.qualifiedName === replaced) continue;
    const entry = packageOf(definition.packageName);
    entry.types.push({
      name: definition.name,
      packageName: definition.packageName,
      node: definition.node,
      ...(definition.file === undefined ? {} : { file: definition.file }),
      ...(definition.positions === undefined ? {} : { positions: definition.positions }),
    });
    // A type known by another id than its content's has a published BlueId: keep it.
    if (definition.id !== definition.computedId) entry.published[definition.name] = definition.id;
  }
  const own = packageOf(source.packageName);
  own.types.push(source);
  delete own.published[source.name];
  const published = ownValue(publishedBlueIds, source.name);
  if (published !== undefined) own.published[source.name] = published;
  const sources: PackageSource[] = [...packages].map(([name, entry]) => ({
    name,
    publishedBlueIds: entry.published,
    types: entry.types,
  }));
  return buildRegistry(sources);
}

function writeBundle(
  options: SchemaOptions,
  registry: TypeRegistry,
  io: CliIo,
  cwd: string,
): ExitCode {
  const folder = resolve(cwd, options.out ?? '.');
  const file = join(folder, BUNDLE_FILE);
  const bundle = exportBundle(registry);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(file, `${JSON.stringify(bundle, null, 2)}\n`);
  } catch (error) {
    io.err(`paydoc schema: cannot write ${file}: ${(error as Error).message} [usage]`);
    return 2;
  }
  const schemaPath = shownPath(file, cwd);
  const setup = editorSetup(schemaPath);
  const types = Object.keys(bundle.$defs as JsonObject).filter((key) => !key.startsWith('paydoc:'));
  if (options.json === true) {
    io.out(JSON.stringify({ file, types: types.length, ...setup }, null, 2));
    return 0;
  }
  io.out(
    [
      `wrote ${schemaPath} (${types.length} types)`,
      '',
      'First line of a document (the path is relative to the document):',
      `  ${setup.modeline}`,
      '',
      'Or, for VS Code with the YAML extension (redhat.vscode-yaml), in .vscode/settings.json:',
      JSON.stringify(setup.vscodeSettings, null, 2)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    ].join('\n'),
  );
  return 0;
}

/** The editor settings that use the bundle at `schemaPath`. */
export function editorSetup(schemaPath: string): {
  modeline: string;
  vscodeSettings: JsonObject;
} {
  const globs: JsonValue[] = [...DOCUMENT_GLOBS];
  return {
    modeline: `# yaml-language-server: $schema=${schemaPath}`,
    vscodeSettings: { 'yaml.schemas': { [schemaPath]: globs } },
  };
}

/** `./x` inside `cwd` (as editors read relative paths), the absolute path elsewhere. */
function shownPath(file: string, cwd: string): string {
  const fromCwd = relative(cwd, file);
  if (fromCwd.startsWith('..') || isAbsolute(fromCwd)) return file;
  return `./${fromCwd.split('\\').join('/')}`;
}
