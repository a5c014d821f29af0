import type { JsonObject } from '../model/json.js';
import { canonicalJson } from '../model/canonical-json.js';
import { processEvent } from '../processor/process-event.js';
import type { ProcessContext, ProcessorEvent } from '../processor/processor-types.js';
import { DEFAULT_LIMITS } from '../processor/processor-types.js';
import { isRetryableRejection } from '../processor/rejection.js';
import type { DocumentRecord, ResultRecord } from '../store/store-records.js';
import { documentBlueId } from '../types/document-id.js';

/** How many times the server's CPU budgets a replay gives scripts. */
const REPLAY_CPU_FACTOR = 10;

/**
 * The context a replay runs in. CPU time is the one budget the machine measures, not the
 * document: a slower machine must still reproduce every event the server accepted, so a
 * replay gives scripts ten times the CPU. (Steps, bytes and cascades are counted, and stay
 * exact.) `paydoc verify` replays in it too.
 */
export function replayContext(context: ProcessContext): ProcessContext {
  const limits = { ...DEFAULT_LIMITS, ...context.limits };
  return {
    ...context,
    limits: {
      ...context.limits,
      eventCpuMs: limits.eventCpuMs * REPLAY_CPU_FACTOR,
      scriptCpuMs: limits.scriptCpuMs * REPLAY_CPU_FACTOR,
    },
  };
}

/**
 * Was this recorded rejection the sandbox's own failure (a timeout under load) or the event
 * running out of its budget (CPU time, as that machine measured it)? A replay takes it as
 * recorded: a rejection changes nothing, which is all there is to check.
 */
export function takenAsRecorded(status: JsonObject): boolean {
  return isRetryableRejection(status) || status.code === 'budget_exceeded';
}

/** Where a replay first disagreed with what was stored, if anywhere. */
export type ReplayReport =
  { ok: true; events: number; blueId: string } | { ok: false; version: number; reason: string };

/**
 * Replays a document from its genesis through its stored inputs, in version order, and checks
 * every step's BlueId and the final state against the store: the processor is deterministic,
 * so any difference means a stored result does not follow from its inputs.
 */
export async function replayDocument(
  record: DocumentRecord,
  results: readonly ResultRecord[],
  context: ProcessContext,
): Promise<ReplayReport> {
  const replay = replayContext(context);
  let document: JsonObject = record.genesis;
  let expectedVersion = 1;
  for (const result of results) {
    if (result.version !== expectedVersion)
      return {
        ok: false,
        version: result.version,
        reason: `version ${expectedVersion} is missing`,
      };
    expectedVersion += 1;
    if (takenAsRecorded(result.status)) {
      if (documentBlueId(document, context.registry) !== result.blueId)
        return {
          ok: false,
          version: result.version,
          reason: 'a rejected event changed the document',
        };
      continue;
    }
    const replayed = await processEvent(
      document,
      result.event as unknown as ProcessorEvent,
      replay,
    );
    document = replayed.document;
    const id = documentBlueId(document, context.registry);
    if (id !== result.blueId)
      return {
        ok: false,
        version: result.version,
        reason: `BlueId ${id}, stored ${result.blueId}`,
      };
    if (canonicalJson(replayed.status as unknown as JsonObject) !== canonicalJson(result.status))
      return { ok: false, version: result.version, reason: 'the status differs' };
  }
  if (results.length !== record.version)
    return {
      ok: false,
      version: record.version,
      reason: `${results.length} results for version ${record.version}`,
    };
  if (canonicalJson(document) !== canonicalJson(record.state))
    return { ok: false, version: record.version, reason: 'the final state differs from the head' };
  return { ok: true, events: results.length, blueId: record.blueId };
}
