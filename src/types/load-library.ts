import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaydocError } from '../errors/paydoc-error.js';
import { formatProblem } from '../errors/problem.js';
import type { JsonObject } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { loadYaml } from '../model/load-yaml.js';
import { buildRegistry, isManifest } from './build-registry.js';
import { buildOwnRegistry } from './own-types.js';
import type { PackageSource, TypeSource } from './type-definition.js';
import type { TypeRegistry } from './type-registry.js';

/** The shipped library: `documents/types/` at the package root. */
export const DEFAULT_LIBRARY_DIR = resolve(
  fileURLToPath(new URL('../../documents/types', import.meta.url)),
);

let defaultPackages: PackageSource[] | undefined;
let defaultRegistry: TypeRegistry | undefined;

/** The packages of the shipped library, read once per process. */
export function defaultLibraryPackages(): PackageSource[] {
  defaultPackages ??= readPackages(DEFAULT_LIBRARY_DIR);
  return defaultPackages;
}

/** The registry of the shipped library, loaded once per process. */
export function defaultTypeRegistry(): TypeRegistry {
  defaultRegistry ??= buildRegistry(defaultLibraryPackages());
  return defaultRegistry;
}

/**
 * The library plus an author's own types from `dir` (`--types DIR`): every `.yaml`/`.yml`/
 * `.json` file in it (not its subfolders) is one type document. Throws a PaydocError naming
 * the file (and line:col) of the first problem.
 */
export function loadOwnTypes(dir: string): TypeRegistry {
  let files: string[];
  try {
    files = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name))
      .map((entry) => entry.name)
      .filter((name) => name !== 'package.yaml')
      .sort();
  } catch (error) {
    throw new PaydocError('file_not_found', `${dir}: ${(error as Error).message}`);
  }
  const own = files.map((file) => {
    const path = join(dir, file);
    const { node, positions } = readYamlWithPositions(path);
    return { node, file: path, positions };
  });
  const built = buildOwnRegistry(defaultLibraryPackages(), defaultTypeRegistry(), own);
  if (built.ok) return built.registry;
  const first = built.problems[0];
  throw new PaydocError(
    first?.code ?? 'invalid_node',
    built.problems.map((problem) => formatProblem(problem)).join('\n'),
    built.problems,
  );
}

/** Reads every package folder under `dir` (each with a package.yaml) and builds a registry. */
export function loadTypeLibrary(dir: string): TypeRegistry {
  return buildRegistry(readPackages(dir));
}

/** Reads the package folders of a library directory. */
export function readPackages(dir: string): PackageSource[] {
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return folders.map((folder) => readPackage(join(dir, folder)));
}

function readPackage(folder: string): PackageSource {
  const manifest = readYamlObject(join(folder, 'package.yaml'));
  if (!isManifest(manifest))
    throw new PaydocError('invalid_node', `${folder}/package.yaml needs a name`);
  const published = isJsonObject(manifest.publishedBlueIds) ? manifest.publishedBlueIds : {};
  const types: TypeSource[] = readdirSync(folder)
    .filter((file) => file.endsWith('.yaml') && file !== 'package.yaml')
    .sort()
    .map((file) => {
      const path = join(folder, file);
      const { node, positions } = readYamlWithPositions(path);
      if (typeof node.name !== 'string')
        throw new PaydocError('invalid_node', `${path}: a type needs a name`);
      return { name: node.name, packageName: manifest.name, node, file: path, positions };
    });
  return {
    name: manifest.name,
    ...(typeof manifest.description === 'string' ? { description: manifest.description } : {}),
    publishedBlueIds: Object.fromEntries(
      Object.entries(published).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    ),
    types,
  };
}

function readYamlObject(path: string): JsonObject {
  return readYamlWithPositions(path).node;
}

function readYamlWithPositions(path: string) {
  const result = loadYaml(readFileSync(path, 'utf8'));
  if (!result.ok) {
    throw new PaydocError(
      'yaml_syntax',
      result.problems.map((p) => formatProblem(p, path)).join('\n'),
      result.problems,
    );
  }
  if (!isJsonObject(result.value)) throw new PaydocError('invalid_node', `${path}: expected a map`);
  return { node: result.value, positions: result.positions };
}
