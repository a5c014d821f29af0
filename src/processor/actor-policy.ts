import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';
import { scalarOf } from '../model/node.js';
import type { TypeRegistry } from '../types/type-registry.js';
import { contractsOf } from './contracts.js';

/**
 * Conversation/Actor Policy (documents/types/conversation/actor-policy.yaml), enforced for
 * Operation Requests. The marker's shape is Blue's (blue-js `libs/document-processor`):
 * `operations: {<operation key>: {requiresActor?, requiresSource?, excludeSource?}}`. The
 * rule is checked against the timeline entry that carried the request, as the server stamps
 * it: `actor: {accountId, kind: principal | agent}` and `source: apiCall | documentRequest |
 * browserSession`. Pure: reads the document and the type library, nothing else.
 */

const ACTORS = ['principal', 'agent'] as const;
const SOURCES = ['browserSession', 'apiCall', 'documentRequest'] as const;
type Actor = (typeof ACTORS)[number];
type Source = (typeof SOURCES)[number];

const RULE_VALUES = {
  requiresActor: [...ACTORS, 'any'],
  requiresSource: SOURCES,
  excludeSource: SOURCES,
} as const;
type RuleField = keyof typeof RULE_VALUES;

/**
 * Why the Actor Policy refuses a request for `operation` carried by `entry` (the timeline
 * entry of the delivery, or a direct event's `{actor, source}`; `null` for a timer or
 * triggered delivery), or `undefined`
 * when it is allowed. An operation no policy names is allowed. Like blue-js, a rule that
 * requires an actor or a source (including `excludeSource`) is never satisfied by a request
 * without an entry, or by an entry without a recognised `actor.kind` / `source`.
 * Stricter than blue-js: a rule with an unknown literal refuses (blue-js rejects the
 * document on load), and several Actor Policy markers all apply (blue-js allows only one).
 */
export function actorPolicyViolation(
  document: JsonObject,
  registry: TypeRegistry,
  operation: string,
  entry: JsonValue,
): string | undefined {
  // The document's Actor Policy markers: its type's built-in contracts overlaid with its own.
  for (const [key, policy] of contractsOf(document, registry).policies) {
    const operations = policy.operations;
    if (!isJsonObject(operations) || !Object.hasOwn(operations, operation)) continue;
    const problem = ruleViolation(
      operations[operation] as JsonValue,
      actorOf(entry),
      sourceOf(entry),
    );
    if (problem !== undefined) return `operation ${operation}: Actor Policy ${key} ${problem}`;
  }
  return undefined;
}

function ruleViolation(
  rule: JsonValue,
  actor: Actor | undefined,
  source: Source | undefined,
): string | undefined {
  if (!isJsonObject(rule)) return 'has a rule that is not a map, so it refuses every call';
  const values: Partial<Record<RuleField, string>> = {};
  for (const field of Object.keys(RULE_VALUES) as RuleField[]) {
    if (rule[field] === undefined || rule[field] === null) continue;
    const value = scalarOf(rule[field]);
    if (typeof value !== 'string' || !(RULE_VALUES[field] as readonly string[]).includes(value)) {
      return `declares unsupported ${field} ${JSON.stringify(rule[field])}, so it refuses every call`;
    }
    values[field] = value;
  }
  const { requiresActor, requiresSource, excludeSource } = values;
  if (requiresActor !== undefined) {
    if (actor === undefined)
      return `requires actor ${requiresActor}, and the request carries no principal or agent actor`;
    if (requiresActor !== 'any' && requiresActor !== actor)
      return `requires actor ${requiresActor}, and the request comes from a${actor === 'agent' ? 'n' : ''} ${actor}`;
  }
  if (requiresSource !== undefined && requiresSource !== source) {
    return `requires source ${requiresSource}, and the request ${source === undefined ? 'carries no source' : `comes from ${source}`}`;
  }
  if (excludeSource !== undefined) {
    if (source === undefined)
      return `excludes source ${excludeSource}, and the request carries no source to check`;
    if (excludeSource === source) return `excludes source ${excludeSource}`;
  }
  return undefined;
}

function actorOf(entry: JsonValue): Actor | undefined {
  if (!isJsonObject(entry) || !isJsonObject(entry.actor)) return undefined;
  const kind = scalarOf(entry.actor.kind);
  return (ACTORS as readonly unknown[]).includes(kind) ? (kind as Actor) : undefined;
}

function sourceOf(entry: JsonValue): Source | undefined {
  if (!isJsonObject(entry)) return undefined;
  const source = scalarOf(entry.source);
  return (SOURCES as readonly unknown[]).includes(source) ? (source as Source) : undefined;
}
