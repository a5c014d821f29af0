import type { FastifyInstance } from 'fastify';
import type { ErrorCode } from '../../errors/error-code.js';
import { isErrorCode } from '../../errors/error-code.js';
import type { OperationOutcome } from '../../engine/document-engine.js';
import type { Outcome, Reply } from '../../engine/outcome.js';
import type { JsonObject } from '../../model/json.js';
import { scalarOf } from '../../model/node.js';
import { errorReply } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { entryJson } from './timeline-routes.js';
import { send, writeRequest } from '../http-context.js';
import { ERROR_SCHEMA, JSON_OBJECT, OPERATION_BODY } from '../openapi-schemas.js';

const ACTIONS = ['capture', 'refund', 'void', 'authorize'] as const;

/**
 * The routes REST API channels declare (Card Payment types: `/api/charge/{chargeId}/capture`,
 * `/refund`, `/void`). The document is found by its charge id; the operation is the one its
 * channel's endpointScheme names for the path, so a document type decides what each route does.
 */
export function apiRoutes(app: FastifyInstance, context: HttpContext): void {
  for (const action of ACTIONS)
    app.post<{ Params: { chargeId: string } }>(
      `/api/charge/:chargeId/${action}`,
      {
        schema: {
          summary: `${action[0]?.toUpperCase()}${action.slice(1)} a card payment (REST API channel)`,
          description: `Delivers an Operation Request \`${action}\` to the payment document whose paymentProcessorId is chargeId: recorded first on the document's proxy timeline when its channel has one (Smart Card Payment). 403 no_api_access when the document declares no REST API channel (Smart Card Payment no API Access). 422/402 with the processor's code when the payment processor refuses.`,
          tags: ['REST API channels'],
          params: {
            type: 'object',
            required: ['chargeId'],
            properties: { chargeId: { type: 'string' } },
          },
          body: OPERATION_BODY,
          response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
        },
      },
      async (request, reply) => {
        const write = await writeRequest(context, request, reply);
        if (write === undefined) return reply;
        const { account, claim, body } = write;
        const answer = await context.engine.callOperation(
          account.id,
          request.params.chargeId,
          'POST',
          request.url.split('?')[0] ?? request.url,
          body,
          operationReply,
          claim,
        );
        return send(request, reply, answer);
      },
    );
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
