import type { FastifyInstance } from 'fastify';
import type { AppendOutcome } from '../../engine/document-engine.js';
import type { ServiceError } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import type { EntryRecord } from '../../store/store-records.js';
import { isJsonObject } from '../../model/json.js';
import { scalarOf } from '../../model/node.js';
import type { TypeSpace } from '../../engine/type-spaces.js';
import { ownTypeAsBlueId } from '../../types/own-types.js';
import { referenceOf } from '../../types/type-refs.js';
import { problemsError } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, responder, send, sendError, writeRequest } from '../http-context.js';
import { ENTRY_BODY, ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';
import { integerParam } from '../request-body.js';

/** `POST /timelines/{id}/entries` (append as the owner) and `GET …/entries?after=`. */
export function timelineRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post<{ Params: { id: string } }>(
    '/timelines/:id/entries',
    {
      schema: {
        summary: "Append an entry to one's own timeline",
        description:
          'The server stamps sequence, prevEntry, timestamp and actor, and processes every document listening to the timeline, in one transaction. Answers 201 with the entry and, for each document, its new version, BlueId, status, emitted events and the payment processor answers.',
        tags: ['timelines'],
        params: ID_PARAMS,
        body: ENTRY_BODY,
        response: { 201: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await writeRequest(context, request, reply);
      if (write === undefined) return reply;
      const { account, claim, body } = write;
      const parsed = await entryRequest(body, context, account.id, request.params.id);
      if ('error' in parsed) return sendError(request, reply, parsed.error);
      const answer = await context.engine.appendEntry(
        account.id,
        request.params.id,
        parsed.message,
        parsed.expected,
        responder<AppendOutcome>(
          () => 201,
          (value) => ({
            entry: entryJson(value.entry),
            results: value.results as unknown as JsonObject[],
          }),
        ),
        claim,
      );
      return send(request, reply, answer);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string } }>(
    '/timelines/:id/entries',
    {
      schema: {
        summary: 'Read a timeline',
        description:
          'Entries after the given sequence, in order. The owner, and accounts taking part in a document bound to the timeline, may read it.',
        tags: ['timelines'],
        params: ID_PARAMS,
        querystring: {
          type: 'object',
          properties: { after: { type: 'integer' }, limit: { type: 'integer' } },
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const after = integerParam(request.query.after, 'after', 0);
      if (!after.ok) return sendError(request, reply, after.error);
      const limit = integerParam(request.query.limit, 'limit', 100, 1000);
      if (!limit.ok) return sendError(request, reply, limit.error);
      const store = context.engine.store;
      const timeline = await store.timeline(request.params.id);
      // A timeline this key may not read answers exactly like one that does not exist.
      if (
        timeline === undefined ||
        !(await mayRead(context, timeline.ownerId, timeline.id, account.id))
      )
        return sendError(request, reply, {
          code: 'not_found',
          message: `no timeline ${request.params.id}`,
          param: 'id',
        });
      const entries = await store.entries(timeline.id, after.value, limit.value);
      return send(request, reply, {
        statusCode: 200,
        body: {
          timelineId: timeline.id,
          headSequence: timeline.headSequence,
          entries: entries.map(entryJson),
        },
      });
    },
  );
}

/** May the account read the timeline: its owner, or a participant of a document on it. */
export function mayReadTimeline(
  context: HttpContext,
  timeline: { id: string; ownerId: string },
  accountId: string,
): Promise<boolean> {
  return mayRead(context, timeline.ownerId, timeline.id, accountId);
}

async function mayRead(
  context: HttpContext,
  ownerId: string,
  timelineId: string,
  accountId: string,
): Promise<boolean> {
  if (ownerId === accountId) return true;
  const store = context.engine.store;
  for (const documentId of await store.documentsOnTimeline(timelineId))
    if (await store.isParticipant(documentId, accountId)) return true;
  return false;
}

type EntryRequest =
  | { message: JsonObject; expected: { sequence?: number; prevEntry?: string } }
  | { error: ServiceError };

/**
 * `{message, sequence?, prevEntry?}`: the message must be a map whose type, if any, is known
 * and valid. A type is known by name in the sender's own types or the library, or by BlueId
 * also among the own types of the accounts whose documents listen to the timeline (those
 * documents invited the sender to speak in their terms). An own type is recorded by BlueId.
 */
async function entryRequest(
  body: JsonObject,
  context: HttpContext,
  accountId: string,
  timelineId: string,
): Promise<EntryRequest> {
  const message = body.message;
  if (!isJsonObject(message))
    return {
      error: {
        code: 'invalid_request',
        message: 'message must be a map (the event)',
        param: '/message',
      },
    };
  const unknown = Object.keys(body).find(
    (key) => !['message', 'sequence', 'prevEntry'].includes(key),
  );
  if (unknown !== undefined)
    return {
      error: {
        code: 'invalid_request',
        message: `unknown field ${unknown}: an entry request has message, sequence and prevEntry`,
        param: `/${unknown}`,
      },
    };
  let recorded = message;
  if (message.type !== undefined) {
    const space = await typeSpaceOf(context, message, accountId, timelineId);
    const typeId = space?.registry.resolveRef(message.type);
    if (space === undefined || typeId === undefined)
      return {
        error: {
          code: 'unknown_type',
          message: `unknown type ${JSON.stringify(scalarOf(message.type) ?? message.type)}`,
          param: '/message/type',
        },
      };
    // Who may say it comes before what it says: a forged answer is refused as such.
    const reserved = context.engine.reservedMessage(message, space.registry);
    if (reserved !== undefined) return { error: reserved };
    const problems = space.validator.validateAs(message, typeId);
    if (problems.length > 0)
      return {
        error: problemsError(
          problems.map((problem) => ({ ...problem, pointer: `/message${problem.pointer ?? ''}` })),
        ),
      };
    recorded = ownTypeAsBlueId(message, space.registry);
  }
  const sequence = body.sequence;
  if (sequence !== undefined && !(Number.isSafeInteger(sequence) && (sequence as number) >= 1))
    return {
      error: {
        code: 'invalid_request',
        message: 'sequence must be an integer ≥ 1',
        param: '/sequence',
      },
    };
  const prevEntry = body.prevEntry;
  if (prevEntry !== undefined && typeof prevEntry !== 'string')
    return {
      error: {
        code: 'invalid_request',
        message: 'prevEntry must be a BlueId (text)',
        param: '/prevEntry',
      },
    };
  return {
    message: recorded,
    expected: {
      ...(typeof sequence === 'number' ? { sequence } : {}),
      ...(typeof prevEntry === 'string' ? { prevEntry } : {}),
    },
  };
}

/** The space in which the message's type is known (see entryRequest), if any. */
async function typeSpaceOf(
  context: HttpContext,
  message: JsonObject,
  accountId: string,
  timelineId: string,
): Promise<TypeSpace | undefined> {
  const spaces = context.engine.spaces;
  const own = await spaces.of(accountId);
  if (
    own.registry.resolveRef(message.type) !== undefined ||
    referenceOf(message.type) === undefined
  )
    return own;
  const store = context.engine.store;
  const timeline = await store.timeline(timelineId);
  // Only the owner may append; anyone else's request is refused as not found later on.
  if (timeline === undefined || timeline.ownerId !== accountId) return own;
  for (const documentId of await store.documentsOnTimeline(timelineId)) {
    const document = await store.document(documentId);
    if (document === undefined) continue;
    const space = await spaces.of(document.ownerId);
    if (space.registry.resolveRef(message.type) !== undefined) return space;
  }
  return own;
}

/** An entry as the API shows it: the entry, its BlueId and the server's signature of it. */
export function entryJson(record: EntryRecord): JsonObject {
  return {
    ...record.entry,
    blueId: record.blueId,
    ...(record.signature === undefined
      ? {}
      : { signature: { keyId: record.signature.keyId, value: record.signature.value } }),
  };
}
