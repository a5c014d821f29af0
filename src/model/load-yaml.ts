import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Alias, Document, Node as YamlNode, YAMLError } from 'yaml';
import type { ErrorCode } from '../errors/error-code.js';
import type { Problem, SourcePosition } from '../errors/problem.js';
import type { JsonObject, JsonValue } from './json.js';
import { escapeSegment } from './json-pointer.js';

/**
 * Limits that keep hostile input from exhausting the process. Bytes, nodes and depth are
 * those of the document with every alias expanded (a few KB of aliases may not stand for more
 * than the limits would allow written out); `maxAliases` counts alias expansions, nested ones
 * included, and `maxAliasNodes` the nodes they stand for in all: aliases are for sharing a few
 * nodes, and a document that is mostly expansion (a few KB standing for 180,000 nodes) costs
 * the whole service its size at every later event, so it is refused however far below
 * `maxNodes` it stays.
 */
export interface LoadLimits {
  maxBytes: number;
  maxDepth: number;
  maxNodes: number;
  maxAliases: number;
  maxAliasNodes: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 64,
  maxNodes: 200_000,
  maxAliases: 64,
  maxAliasNodes: 10_000,
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
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
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
  const walker = new Walker(doc, lineCounter, limits, bytes);
  try {
    const value = walker.load(doc.contents);
    return { ok: true, value, positions: walker.positions };
  } catch (error) {
    if (error instanceof LoadFailure) return { ok: false, problems: [error.problem] };
    throw error;
  }
}

/** UTF-8 bytes of a scalar as loaded (its source text for numbers, booleans and null). */
function scalarBytes(node: YamlNode): number {
  const value = (node as { value?: unknown }).value;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  const range = node.range;
  return range === undefined || range === null ? 1 : Math.max(1, range[1] - range[0]);
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

/** What walking a subtree adds, its aliases expanded: see {@link Walker.extentOf}. */
interface Extent {
  /** Nodes the walk counts (an alias counts itself and then its target's nodes). */
  nodes: number;
  /** UTF-8 bytes of its scalars, keys included. */
  bytes: number;
  /** Alias expansions inside it. */
  aliases: number;
  /** Levels below it (a scalar is 0). */
  height: number;
}

/**
 * Turns the yaml AST into JSON, counting as it goes. At the first alias, before anything is
 * expanded, the whole document is paid for ({@link Walker.prepay}): at each alias the size of
 * its target with every nested alias expanded is measured on the AST (once per anchored node,
 * however often it is used) and added to the running totals, and the load stops at the first
 * alias that passes a limit. So a refusal costs a walk of the text, never of what it would
 * expand to, and an accepted document costs what it would cost written out. Aliases are
 * resolved with one visit of the document, not with the yaml package's `Alias.resolve` (a
 * visit per call). The package's own `maxAliasCount` (in `toJS`) is no bound here: it
 * multiplies alias counts and lets a 3,000-item list be aliased 59 times.
 */
class Walker {
  readonly positions = new Map<string, SourcePosition>();
  private nodes = 0;
  private aliases = 0;
  private aliasNodes = 0;
  /** Bytes of the text plus the bytes of what the aliases paid for so far stand for. */
  private bytes: number;
  private targets: Map<Alias, YamlNode | undefined> | undefined;
  private root: YamlNode | null = null;
  private paid = false;
  private readonly extents = new Map<YamlNode, Extent>();
  private readonly measuring = new Set<YamlNode>();

  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
    private readonly limits: LoadLimits,
    textBytes: number,
  ) {
    this.bytes = textBytes;
  }

  /** The JSON of the document (its contents node). */
  load(root: YamlNode): JsonValue {
    this.root = root;
    return this.walk(root, '', 0);
  }

  /**
   * At the walk's first alias, before anything is expanded: the whole document is counted
   * with {@link prepay}, which throws at the alias that passes a limit. The walk's own count
   * goes on from where it was (the prepay already proved it stays within the limits).
   */
  private prepayDocument(): void {
    const walked = this.nodes;
    this.nodes = 0;
    this.paid = true;
    this.prepay(this.root, 0);
    this.nodes = walked;
  }

  /** Counts the document in text order, paying for each alias; throws at the first excess. */
  private prepay(node: YamlNode | null, depth: number): void {
    if (node === null) return;
    this.count(node, depth);
    if (isAlias(node)) this.pay(node, this.targetOf(node), depth);
    else if (isMap(node))
      for (const pair of node.items) this.prepay(pair.value as YamlNode | null, depth + 1);
    else if (isSeq(node))
      for (const item of node.items) this.prepay(item as YamlNode | null, depth + 1);
  }

  private walk(node: YamlNode | null, pointer: string, depth: number): JsonValue {
    if (node === null) return null;
    this.count(node, depth);
    if (isAlias(node)) {
      if (!this.paid) this.prepayDocument();
      return this.walk(this.targetOf(node), pointer, depth);
    }
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

  /** Adds what expanding `alias` stands for to the totals, or fails at the alias. */
  private pay(alias: Alias, target: YamlNode, depth: number): void {
    const extent = this.extentOf(target, alias, 0);
    const { maxAliases, maxNodes, maxBytes, maxDepth } = this.limits;
    this.aliases += 1 + extent.aliases;
    if (this.aliases > maxAliases)
      throw this.failure(
        'yaml_alias_limit',
        `more than ${maxAliases} aliases expanded (nested ones included)`,
        alias,
      );
    this.aliasNodes += extent.nodes;
    if (this.aliasNodes > this.limits.maxAliasNodes)
      throw this.failure(
        'yaml_alias_limit',
        `aliases stand for more than ${this.limits.maxAliasNodes} nodes in all`,
        alias,
      );
    // The alias itself is already counted; walking its target counts extent.nodes more.
    this.nodes += extent.nodes;
    if (this.nodes > maxNodes)
      throw this.failure(
        'yaml_too_large',
        `more than ${maxNodes} nodes (after alias expansion)`,
        alias,
      );
    this.bytes += extent.bytes;
    if (this.bytes > maxBytes)
      throw this.failure(
        'yaml_too_large',
        `more than ${maxBytes} bytes (after alias expansion)`,
        alias,
      );
    if (depth + extent.height > maxDepth) throw this.deepFailure(alias, ' (after alias expansion)');
  }

  /**
   * The {@link Extent} of a subtree, measured on the AST: an alias inside it adds its target's
   * extent, memoised per anchored node, so aliases of aliases cost one visit per node of the
   * text. `below` is how deep under the alias being paid for the measure is; past the depth
   * limit (which also ends a cycle, an alias inside the node it names) the alias is refused.
   */
  private extentOf(node: YamlNode | null, paying: Alias, below: number): Extent {
    if (node === null) return { nodes: 0, bytes: 0, aliases: 0, height: 0 };
    const known = this.extents.get(node);
    if (known !== undefined) return known;
    if (below > this.limits.maxDepth) throw this.deepFailure(paying, ' (after alias expansion)');
    let extent: Extent;
    if (isAlias(node)) {
      const target = this.targetOf(node);
      if (this.measuring.has(target))
        throw this.failure(
          'yaml_alias_limit',
          `alias *${node.source} is inside the node it names (a cycle)`,
          node,
        );
      const inner = this.extentOf(target, paying, below);
      extent = { ...inner, nodes: 1 + inner.nodes, aliases: 1 + inner.aliases };
    } else if (isScalar(node)) {
      extent = { nodes: 1, bytes: scalarBytes(node), aliases: 0, height: 0 };
    } else if (isMap(node) || isSeq(node)) {
      this.measuring.add(node);
      extent = { nodes: 1, bytes: 0, aliases: 0, height: 0 };
      for (const item of node.items as unknown[]) {
        let child: YamlNode | null;
        if (isMap(node)) {
          const pair = item as { key: unknown; value: unknown };
          if (isScalar(pair.key)) extent.bytes += scalarBytes(pair.key);
          child = pair.value as YamlNode | null;
        } else child = item as YamlNode | null;
        const inner = this.extentOf(child, paying, below + 1);
        extent.nodes += inner.nodes;
        extent.bytes += inner.bytes;
        extent.aliases += inner.aliases;
        if (child !== null) extent.height = Math.max(extent.height, inner.height + 1);
      }
      this.measuring.delete(node);
    } else {
      throw this.failure('yaml_syntax', 'unsupported YAML node', node);
    }
    if (node.anchor !== undefined || isAlias(node)) this.extents.set(node, extent);
    return extent;
  }

  /** The node an alias names: the last node before it with that anchor. */
  private targetOf(alias: Alias): YamlNode {
    const target = this.targetMap().get(alias);
    if (target === undefined)
      throw this.failure('yaml_syntax', `alias *${alias.source} to an unknown anchor`, alias);
    return target;
  }

  private targetMap(): Map<Alias, YamlNode | undefined> {
    if (this.targets === undefined) {
      const targets = new Map<Alias, YamlNode | undefined>();
      const anchors = new Map<string, YamlNode>();
      visit(this.doc, {
        Node: (_key, node) => {
          if (isAlias(node)) targets.set(node, anchors.get(node.source));
          else if (node.anchor !== undefined) anchors.set(node.anchor, node);
        },
      });
      this.targets = targets;
    }
    return this.targets;
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
    if (depth > this.limits.maxDepth) throw this.deepFailure(node, '');
  }

  private deepFailure(node: YamlNode, note: string): LoadFailure {
    return this.failure(
      'yaml_too_large',
      `nested deeper than ${this.limits.maxDepth} levels${note}`,
      node,
    );
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
