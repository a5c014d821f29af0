import type { Problem } from '../errors/problem.js';
import type { JsonObject, JsonValue } from './json.js';
import { isJsonObject, isScalar, ownValue } from './json.js';
import { escapeSegment, parsePointer } from './json-pointer.js';
import type { SourceMap } from './load-yaml.js';

/** Keys with a meaning of their own in a Blue node; every other key is a child field. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  'name',
  'description',
  'type',
  'itemType',
  'keyType',
  'valueType',
  'value',
  'items',
  'blueId',
  'blue',
  'contracts',
  'schema',
  'mergePolicy',
]);

/** Keys that name a type. */
export const TYPE_KEYS = ['type', 'itemType', 'keyType', 'valueType'] as const;

/** The child fields of a node (its non-reserved keys). */
export function fieldKeys(node: JsonObject): string[] {
  return Object.keys(node).filter((key) => !RESERVED_KEYS.has(key));
}

/**
 * Checks the node anatomy of DESIGN.md §3.1 over a whole tree: at most one payload
 * (value, items or fields), and reserved keys of the right shape.
 */
export function checkAnatomy(root: JsonValue, previous?: JsonValue): Problem[] {
  const problems: Problem[] = [];
  visit(root, '', problems, previous);
  return problems;
}

/** `previous`: the same place in a document already checked; identical subtrees are skipped. */
function visit(node: JsonValue, pointer: string, problems: Problem[], previous?: JsonValue): void {
  if (previous !== undefined && node === previous) return;
  if (Array.isArray(node)) {
    const before = Array.isArray(previous) ? previous : undefined;
    for (let index = 0; index < node.length; index += 1) {
      visit(node[index] as JsonValue, `${pointer}/${index}`, problems, before?.[index]);
    }
    return;
  }
  if (!isJsonObject(node)) return;
  const before = isJsonObject(previous) ? previous : undefined;
  const keys = Object.keys(node);
  const hasFields = keys.some((key) => !RESERVED_KEYS.has(key));
  if (
    Number(Object.hasOwn(node, 'value')) +
      Number(Object.hasOwn(node, 'items')) +
      Number(hasFields) >
    1
  ) {
    problems.push({
      code: 'invalid_node',
      message: 'a node carries at most one of: value, items, child fields',
      pointer,
    });
  }
  checkReserved(node, pointer, problems);
  for (const key of keys) {
    if (key === 'value' || key === 'name' || key === 'description' || key === 'blueId') continue;
    const child = node[key] as JsonValue;
    const prior = before === undefined ? undefined : ownValue(before, key);
    if (prior !== undefined && child === prior) continue;
    if (typeof child !== 'object' || child === null) continue;
    visit(child, `${pointer}/${escapeSegment(key)}`, problems, prior);
  }
}

function checkReserved(node: JsonObject, pointer: string, problems: Problem[]): void {
  const report = (message: string, at: string): void => {
    problems.push({ code: 'invalid_node', message, pointer: at });
  };
  if (Object.hasOwn(node, 'value') && !(isScalar(node.value) || node.value === null)) {
    report('value must be a scalar (text, number or boolean)', `${pointer}/value`);
  }
  if (Object.hasOwn(node, 'items') && !Array.isArray(node.items))
    report('items must be a list', `${pointer}/items`);
  for (const key of ['name', 'description', 'blueId'] as const) {
    if (Object.hasOwn(node, key) && typeof node[key] !== 'string' && node[key] !== null) {
      report(`${key} must be text`, `${pointer}/${key}`);
    }
  }
  if (
    Object.hasOwn(node, 'contracts') &&
    !isJsonObject(node.contracts) &&
    node.contracts !== null
  ) {
    report('contracts must be a map of named contracts', `${pointer}/contracts`);
  }
}

/**
 * The instance as an author thinks of it: `{value: x}` wrappers become `x`, `{items: [...]}`
 * become lists; fields, `type`, `name` and the other reserved keys stay. JSON Schemas
 * describe this form, which is also the sugared form authors write.
 */
export function simplify(node: JsonValue): JsonValue {
  if (Array.isArray(node)) return node.map(simplify);
  if (!isJsonObject(node)) return node;
  if (Object.hasOwn(node, 'value') && fieldKeys(node).length === 0) return node.value ?? null;
  if (Array.isArray(node.items) && fieldKeys(node).length === 0) {
    return node.items.map(simplify);
  }
  const out: JsonObject = {};
  for (const key of Object.keys(node)) {
    const child = node[key] as JsonValue;
    out[key] = RESERVED_KEYS.has(key) ? child : simplify(child);
  }
  return out;
}

/** The scalar a node stands for (`x` or `{value: x}`), else undefined. */
export function scalarOf(node: JsonValue | undefined): string | number | boolean | undefined {
  if (isScalar(node)) return node;
  if (isJsonObject(node) && isScalar(node.value)) return node.value;
  return undefined;
}

/**
 * Maps a pointer into the simple form back to the raw document (entering `value`/`items`
 * wrappers) and finds where it was written: the nearest ancestor with a known position.
 */
export function locate(raw: JsonValue, simplePointer: string, positions: SourceMap | undefined) {
  if (positions === undefined) return undefined;
  const rawPointer = toRawPointer(raw, simplePointer);
  for (let pointer = rawPointer; ; pointer = pointer.slice(0, pointer.lastIndexOf('/'))) {
    const position = positions.get(pointer);
    if (position !== undefined) return position;
    if (pointer === '') return { line: 1, col: 1 };
  }
}

/** The raw-document pointer for a pointer into the simple form. */
export function toRawPointer(raw: JsonValue, simplePointer: string): string {
  let pointer = '';
  let current: JsonValue | undefined = raw;
  for (const segment of parsePointer(simplePointer)) {
    if (isJsonObject(current) && Array.isArray(current.items) && /^\d+$/.test(segment)) {
      pointer += '/items';
      current = current.items;
    }
    pointer += `/${escapeSegment(segment)}`;
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isJsonObject(current)) current = ownValue(current, segment);
    else current = undefined;
  }
  return pointer;
}
