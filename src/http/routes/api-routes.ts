import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../errors/error-code.js';
import { isErrorCode } from '../../errors/error-code.js';
import type { OperationOutcome } from '../../engine/document-engine.js';
import type { Outcome, Reply } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import type { TypeRegistry } from '../../types/type-registry.js';
import { loadYaml } from '../../model/load-yaml.js';
import { locate, scalarOf } from '../../model/node.js';
import { errorReply, problemsError } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { send, sendError, writeRequest } from '../http-context.js';
import { entryJson } from './timeline-routes.js';
import { ERROR_SCHEMA, JSON_OBJECT, OPERATION_BODY } from '../openapi-schemas.js';

/** The methods a REST API channel's endpointScheme may declare, with a body and without. */
const WITH_BODY = ['POST', 'PUT', 'PATCH'] as const;
const WITHOUT_BODY = ['GET', 'DELETE'] as const;

const DESCRIPTION =
  "Delivers an Operation Request to the document named in the path (its charge, invoice or order id), for the operation its REST API channel's endpointScheme declares for this method and path: `POST /api/charge/{chargeId}/capture`, `/refund`, `/void`, `/authorize` for Card Payment types. Recorded first on the document's proxy timeline when its channel has one (Smart Card Payment). 404 when no document of yours is named; 403 no_api_access when the document declares no such route; 400 when the body is not of the operation's request type; 422/402 with the processor's code when the payment processor refuses.";

/**
 * Every route a document's REST API channels declare, under /api (Card Payment types:
 * `/api/charge/{chargeId}/capture`, …; an Order: `/api/orders/{orderId}/debit`; an author's
 * own operations on their own paths). There is no list of actions here: the document is found
 * by the first path segment that is one of its references (its charge, invoice or order id),
 * the operation is the one its channel's endpointScheme names for the method and path (path
 * parameters bound, passed as the request's `params`), the body is checked against the
 * operation's declared request type (400 with line:col), and an Operation Request is
 * delivered: recorded first on the channel's proxy timeline when it has one (Smart Card
 * Payment), else straight to the channel (Classic). Routes of the server's own (`/api/invoice`)
 * are matched before this one.
 */
export function apiRoutes(app: FastifyInstance, context: HttpContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const write = await writeRequest(context, request, reply);
    if (write === undefined) return reply;
    const { account, claim, body } = write;
    const path = request.url.split('?')[0] ?? request.url;
    const route = await context.engine.apiRoute(account.id, request.method, path);
    if (!route.ok) return sendError(request, reply, route.error);
    if (route.value.request !== undefined) {
      const problems = route.value.validator.validateDeclared(body, route.value.request);
      if (problems.length > 0) {
        const text = typeof request.body === 'string' ? request.body : '';
        const loaded = text.trim() === '' ? undefined : loadYaml(text);
        const positions = loaded?.ok === true ? loaded.positions : undefined;
        return sendError(
          request,
          reply,
          problemsError(
            problems.map((problem) => {
              const position =
                positions === undefined || problem.pointer === undefined
                  ? undefined
                  : locate(body, problem.pointer, positions);
              return position === undefined ? problem : { ...problem, position };
            }),
          ),
        );
      }
    }
    const answer = await context.engine.callOperation(
      account.id,
      route.value.ref,
      request.method,
      path,
      body,
      operationReply,
      claim,
    );
    return send(request, reply, answer);
  };
  const summary = 'Call an operation a document declares on a REST API channel';
  const response = { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA };
  const tags = ['REST API channels'];
  // The library's own routes are named in the OpenAPI document (the same handler serves them:
  // the document still decides); any other path, an account's or a document's own, is served
  // by the catch-all below.
  for (const declared of libraryRoutes(context.registry)) {
    const params = [...declared.path.matchAll(/:([^/]+)/g)].map((match) => match[1] ?? '');
    app.route({
      method: declared.method,
      url: declared.path,
      schema: {
        summary: `${declared.operation} (${declared.types.join(', ')})`,
        description: DESCRIPTION,
        tags,
        params: {
          type: 'object',
          required: params,
          properties: Object.fromEntries(params.map((name) => [name, { type: 'string' }])),
        },
        ...(declared.method === 'GET' || declared.method === 'DELETE'
          ? {}
          : { body: OPERATION_BODY }),
        response,
      },
      handler,
    });
  }
  app.route({
    method: [...WITH_BODY],
    url: '/api/*',
    schema: { summary, description: DESCRIPTION, tags, body: OPERATION_BODY, response },
    handler,
  });
  app.route({
    method: [...WITHOUT_BODY],
    url: '/api/*',
    schema: { summary, description: DESCRIPTION, tags, response },
    handler,
  });
}

/** A route the type library declares, with the types that declare it. */
interface LibraryRoute {
  method: (typeof WITH_BODY)[number] | (typeof WITHOUT_BODY)[number];
  /** In fastify's syntax: `/api/charge/:chargeId/capture`. */
  path: string;
  operation: string;
  types: string[];
}

/** Every route the library's types declare in their REST API channels' endpointScheme. */
function libraryRoutes(registry: TypeRegistry): LibraryRoute[] {
  const routes = new Map<string, LibraryRoute>();
  const methods: readonly string[] = [...WITH_BODY, ...WITHOUT_BODY];
  for (const type of registry.list()) {
    const contracts = type.node.contracts;
    if (!isJsonObject(contracts)) continue;
    for (const contract of Object.values(contracts)) {
      const scheme = isJsonObject(contract) ? contract.endpointScheme : undefined;
      if (!isJsonObject(scheme)) continue;
      const base = String(scalarOf(scheme.basePath) ?? '');
      const paths = Array.isArray(scheme.paths) ? scheme.paths : [];
      for (const item of paths) {
        if (!isJsonObject(item)) continue;
        const method = String(scalarOf(item.method) ?? 'POST').toUpperCase();
        const operation = String(scalarOf(item.operation) ?? '');
        const path = `${base}${String(scalarOf(item.path) ?? '')}`.replace(/\{([^}/]+)\}/g, ':$1');
        if (!methods.includes(method) || !path.startsWith('/api/') || operation === '') continue;
        const key = `${method} ${path}`;
        const known = routes.get(key);
        if (known === undefined)
          routes.set(key, {
            method: method as LibraryRoute['method'],
            path,
            operation,
            types: [type.name],
          });
        else if (!known.types.includes(type.name)) known.types.push(type.name);
      }
    }
  }
  return [...routes.values()];
}

/**
 * 200 with the results and the document; when the document rejected the request or the
 * processor answered Illegal Request, the envelope with that code (the call stays on record).
 */
function operationReply(outcome: Outcome<OperationOutcome>): Reply {
  if (!outcome.ok) return errorReply(outcome.error);
  const own = outcome.value.results.find(
    (result) => result.documentId === outcome.value.documentId,
  );
  const status = own?.status as { kind?: string; code?: string; reason?: string } | undefined;
  if (status?.kind === 'rejected')
    return errorReply({
      code: isErrorCode(status.code) ? status.code : 'illegal_request',
      message: status.reason ?? 'the document refused the request',
    });
  const refused = own?.answers.find(
    (answer) => scalarOf(answer.type) === 'Payments/Illegal Request',
  );
  if (refused !== undefined)
    return errorReply({
      code: isErrorCode(scalarOf(refused.code))
        ? (scalarOf(refused.code) as ErrorCode)
        : 'illegal_request',
      message: String(scalarOf(refused.message) ?? 'the payment processor refused the request'),
    });
  return {
    statusCode: 200,
    body: {
      documentId: outcome.value.documentId,
      operation: outcome.value.operation,
      ...(outcome.value.entry === undefined ? {} : { entry: entryJson(outcome.value.entry) }),
      results: outcome.value.results as unknown as JsonObject[],
      document: outcome.value.document,
    },
  };
}
