import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, YAMLError } from 'yaml';
import type { ErrorCode } from '../errors/error-code.js';
import type { Problem, SourcePosition } from '../errors/problem.js';
import type { JsonObject, JsonValue } from './json.js';
import { escapeSegment } from './json-pointer.js';

/** Limits that keep hostile input from exhausting the process. */
export interface LoadLimits {
  maxBytes: number;
  maxDepth: number;
  maxNodes: number;
  maxAliases: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 200_000,
  maxAliases: 64,
};

/** Maps JSON pointers of the loaded value to where they were written. */
export type SourceMap = ReadonlyMap<string, SourcePosition>;

export type LoadResult =
  { ok: true; value: JsonValue; positions: SourceMap } | { ok: false; problems: Problem[] };

class LoadFailure extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

const YAML_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  DUPLICATE_KEY: 'yaml_duplicate_key',
  TAG_RESOLVE_FAILED: 'yaml_unknown_tag',
  BAD_ALIAS: 'yaml_syntax',
};

/**
 * Loads YAML 1.2 (or JSON, which is a subset) into plain JSON, strictly: duplicate keys,
 * unknown tags, any parser warning, alias bombs, unsafe integers and over-large or over-deep
 * input are problems with a line and column, never exceptions.
 */
export function loadYaml(text: string, limits: LoadLimits = DEFAULT_LOAD_LIMITS): LoadResult {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    return fail('yaml_too_large', `input is larger than ${limits.maxBytes} bytes`, {
      line: 1,
      col: 1,
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    intAsBigInt: true,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    schema: 'core',
  });
  const parserProblems = [...doc.errors, ...doc.warnings].map((error) =>
    fromYamlError(error, lineCounter, text),
  );
  if (parserProblems.length > 0) return { ok: false, problems: parserProblems };
  if (doc.contents === null) {
    return fail('yaml_empty', 'the input holds no document', { line: 1, col: 1 });
  }
  const walker = new Walker(doc, lineCounter, limits);
  try {
    const value = walker.walk(doc.contents, '', 0);
    return { ok: true, value, positions: walker.positions };
  } catch (error) {
    if (error instanceof LoadFailure) return { ok: false, problems: [error.problem] };
    throw error;
  }
}

function fail(code: ErrorCode, message: string, position: SourcePosition): LoadResult {
  return { ok: false, problems: [{ code, message, position }] };
}

function fromYamlError(error: YAMLError, lineCounter: LineCounter, text: string): Problem {
  const code = YAML_ERROR_CODES[error.code] ?? 'yaml_syntax';
  const position = lineCounter.linePos(error.pos[0]);
  // The yaml package's own messages already say what is wrong; drop its trailing position text.
  const message = error.message.replace(/ at line \d+, column \d+[\s\S]*$/, '');
  const excerpt = text.slice(error.pos[0], error.pos[0] + 80).split('\n')[0] ?? '';
  return { code, message: tidyYamlMessage(code, message, excerpt), position };
}

function tidyYamlMessage(code: ErrorCode, message: string, excerpt: string): string {
  if (code === 'yaml_duplicate_key')
    return `duplicate key '${excerpt.replace(/:.*$/, '').trim()}' (map keys must be unique)`;
  if (code === 'yaml_unknown_tag')
    return `unknown tag (only plain YAML 1.2 values are accepted): ${message}`;
  return message;
}

class Walker {
  readonly positions = new Map<string, SourcePosition>();
  private nodes = 0;
  private aliases = 0;

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly limits: LoadLimits,
  ) {}

  walk(node: YamlNode | null, pointer: string, depth: number): JsonValue {
    if (node === null) return null;
    this.count(node, depth);
    if (isAlias(node)) return this.walkAlias(node, pointer, depth);
    if (isScalar(node)) return this.scalar(node.value, node);
    if (isMap(node)) {
      const object: JsonObject = {};
      for (const pair of node.items) {
        const key = this.key(pair.key as YamlNode | null, node);
        const childPointer = `${pointer}/${escapeSegment(key)}`;
        this.positions.set(childPointer, this.positionOf((pair.key as YamlNode | null) ?? node));
        object[key] = this.walk(pair.value as YamlNode | null, childPointer, depth + 1);
      }
      return object;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const childPointer = `${pointer}/${index}`;
        this.positions.set(childPointer, this.positionOf((item as YamlNode | null) ?? node));
        return this.walk(item as YamlNode | null, childPointer, depth + 1);
      });
    }
    throw this.failure('yaml_syntax', 'unsupported YAML node', node);
  }

  private walkAlias(
    node: YamlNode & { resolve(doc: Document): YamlNode | undefined },
    pointer: string,
    depth: number,
  ): JsonValue {
    this.aliases += 1;
    if (this.aliases > this.limits.maxAliases) {
      throw this.failure('yaml_alias_limit', `more than ${this.limits.maxAliases} aliases`, node);
    }
    const target = node.resolve(this.doc);
    if (target === undefined) throw this.failure('yaml_syntax', 'alias to an unknown anchor', node);
    return this.walk(target, pointer, depth);
  }

  private count(node: YamlNode, depth: number): void {
    this.nodes += 1;
    if (this.nodes > this.limits.maxNodes) {
      throw this.failure(
        'yaml_too_large',
        `more than ${this.limits.maxNodes} nodes (after alias expansion)`,
        node,
      );
    }
    if (depth > this.limits.maxDepth) {
      throw this.failure(
        'yaml_too_large',
        `nested deeper than ${this.limits.maxDepth} levels`,
        node,
      );
    }
  }

  private key(key: YamlNode | null, parent: YamlNode): string {
    if (key === null || !isScalar(key) || key.value === null || typeof key.value === 'object') {
      throw this.failure('yaml_invalid_key', 'mapping keys must be plain scalars', key ?? parent);
    }
    const text = String(key.value);
    if (text === '__proto__') {
      throw this.failure('yaml_invalid_key', "the key '__proto__' is not allowed", key);
    }
    return text;
  }

  private scalar(value: unknown, node: YamlNode): JsonValue {
    if (typeof value === 'bigint') {
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(-Number.MAX_SAFE_INTEGER)) {
        throw this.failure(
          'yaml_unsafe_integer',
          `integer ${value} is beyond ±(2^53−1) and would lose precision; quote it as text`,
          node,
        );
      }
      return Number(value);
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        throw this.failure('invalid_node', 'numbers must be finite (no .inf or .nan)', node);
      return value;
    }
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    throw this.failure('yaml_unknown_tag', 'a value that is not a plain YAML 1.2 scalar', node);
  }

  private positionOf(node: YamlNode): SourcePosition {
    const offset = node.range?.[0] ?? 0;
    return this.lineCounter.linePos(offset);
  }

  private failure(code: ErrorCode, message: string, node: YamlNode): LoadFailure {
    return new LoadFailure({ code, message, position: this.positionOf(node) });
  }
}
