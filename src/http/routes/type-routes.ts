import type { FastifyInstance } from 'fastify';
import type { ServiceError } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import type { SourceMap } from '../../model/load-yaml.js';
import { locate } from '../../model/node.js';
import type { TypeRecord } from '../../store/store-records.js';
import { OWN_PACKAGE } from '../../types/own-types.js';
import { loadDocument } from '../../validation/check-document.js';
import { errorReply, problemsError } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, fileWrite, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, JSON_OBJECT } from '../openapi-schemas.js';

/**
 * `POST /types`, `GET /types`, `GET /types/{ref}`: an account's own types (issue 12). A type
 * is a YAML or JSON type document in the form of `documents/types/`; the account's documents
 * and messages name it as written (`Item Shipped`, `Own/Item Shipped`) or by BlueId. Other
 * accounts never see it listed; they may use it by BlueId on a timeline whose documents use it.
 */
export function typeRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/types',
    {
      schema: {
        summary: 'Add an own type to the account',
        description:
          "A type document (YAML or JSON, the form of documents/types/). Answers 201 with its name and BlueId; 200 with the account's type when it already has exactly this one; 409 type_exists when the name is taken by another type (types are immutable).",
        tags: ['types'],
        body: JSON_OBJECT,
        response: { 201: JSON_OBJECT, 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await fileWrite(context, request, reply);
      if (write === undefined) return reply;
      const { account, claim, text } = write;
      const done = await context.turns.admit(account.id);
      const started = performance.now();
      const loaded = loadDocument(text);
      // Building the account's types with this one is the poster's cost, charged to its turn.
      const ahead = loaded.ok
        ? await context.engine.prepareType(account.id, loaded.document)
        : undefined;
      done(performance.now() - started);
      if (!loaded.ok) return sendError(request, reply, problemsError(loaded.problems));
      const answer = await context.engine.addType(
        account.id,
        loaded.document,
        (outcome) =>
          outcome.ok
            ? {
                statusCode: outcome.value.created ? 201 : 200,
                body: typeJson(outcome.value.type),
              }
            : errorReply(located(outcome.error, loaded.document, loaded.positions)),
        claim,
        ahead,
      );
      return send(request, reply, answer);
    },
  );

  app.get(
    '/types',
    {
      schema: {
        summary: "The account's own types",
        tags: ['types'],
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const types = await context.engine.store.typesOf(account.id);
      return send(request, reply, {
        statusCode: 200,
        body: { types: types.map((type) => summaryJson(type)) },
      });
    },
  );

  app.get<{ Params: { ref: string } }>(
    '/types/:ref',
    {
      schema: {
        summary: 'One own type, by name or BlueId, with its definition',
        tags: ['types'],
        params: {
          type: 'object',
          properties: { ref: { type: 'string' } },
          required: ['ref'],
        },
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const ref = request.params.ref.startsWith(`${OWN_PACKAGE}/`)
        ? request.params.ref.slice(OWN_PACKAGE.length + 1)
        : request.params.ref;
      const type = (await context.engine.store.typesOf(account.id)).find(
        (candidate) => candidate.name === ref || candidate.blueId === ref,
      );
      if (type === undefined)
        return sendError(request, reply, {
          code: 'not_found',
          message: `no type ${request.params.ref} in this account`,
          param: 'ref',
        });
      return send(request, reply, { statusCode: 200, body: typeJson(type) });
    },
  );
}

function summaryJson(type: TypeRecord): JsonObject {
  return {
    name: type.name,
    qualifiedName: `${OWN_PACKAGE}/${type.name}`,
    blueId: type.blueId,
    createdAt: type.createdAt,
  };
}

function typeJson(type: TypeRecord): JsonObject {
  return { ...summaryJson(type), definition: type.definition };
}

/** A refusal naming a field of the posted type leads with that field's line:col. */
function located(error: ServiceError, document: JsonObject, positions: SourceMap): ServiceError {
  const name = typeof document.name === 'string' ? document.name : '';
  const problems = (error.problems ?? []).map((problem) => {
    // A problem the registry names another type in (`Own/Other: …`) is not in this text.
    const elsewhere =
      problem.message.includes(`${OWN_PACKAGE}/`) &&
      !problem.message.includes(`${OWN_PACKAGE}/${name}`);
    const position =
      problem.pointer === undefined || elsewhere
        ? undefined
        : locate(document, problem.pointer, positions);
    return position === undefined ? problem : { ...problem, position };
  });
  if (problems.length > 0) return { ...problemsError(problems), code: error.code };
  return error;
}
