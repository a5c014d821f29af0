import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonObject } from '../../model/json.js';
import { isJsonObject } from '../../model/json.js';
import { codeLocator } from '../../model/code-position.js';
import { checkDocument } from '../../validation/check-document.js';
import type { LintFinding } from '../../validation/lint/lint-codes.js';
import { lintDocument } from '../../validation/lint/lint-document.js';
import type { Reply, ServiceError } from '../../engine/outcome.js';
import type { SourceMap } from '../../model/load-yaml.js';
import { locate, scalarOf } from '../../model/node.js';
import type { CreateOutcome } from '../../engine/document-engine.js';
import { errorReply, problemsError } from '../error-envelope.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, fileWrite, readableDocument, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';

/** `POST /blue`, `GET /blue/{id}`, `GET /blue/{id}/history` (DESIGN §8). */
export function blueRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/blue',
    {
      schema: {
        summary: 'Post a document',
        description:
          'Validates a YAML or JSON document, binds its participants to timelines, initialises it and lets the payment processor open its payment (a card payment is authorised). Answers 201 with the document; 200 with the existing one when this account already posted exactly this content. A document the linter finds errors in (a script that does not compile, a channel, operation or type that is not there, a change the processor refuses) is refused with 400 lint_failed listing every finding; lint warnings come with the 201/200 in the paydoc-warnings header (a JSON array).',
        tags: ['documents'],
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
      // The account's own types (POST /types) are known to its documents; building them (when
      // they are not compiled yet) is the account's cost, in its turn.
      const space = await context.engine.spaces.of(account.id);
      const checked = checkDocument(text, space.validator);
      // Once per post, in the account's turn like the validation, against the same registry
      // (the account's own types included).
      const findings = checked.ok
        ? lintDocument(checked.document, space.registry, {
            positions: checked.positions,
            locateCode: codeLocator(text, checked.document),
          })
        : [];
      done(performance.now() - started);
      if (!checked.ok) return sendError(request, reply, problemsError(checked.problems));
      // A document that would fail or do nothing once it runs is refused before anything is
      // created: no timeline is bound and no card is authorised.
      if (findings.some((finding) => finding.severity === 'error'))
        return send(request, reply, lintRefusal(findings));
      const answer = await context.engine.createDocument(
        account.id,
        checked.document,
        (outcome) =>
          outcome.ok
            ? (declinedReply(outcome.value) ?? {
                statusCode: outcome.value.created ? 201 : 200,
                body: outcome.value.document.state,
              })
            : errorReply(located(outcome.error, checked.document, checked.positions)),
        claim,
      );
      if (answer.statusCode < 300) setWarnings(reply, findings);
      return send(request, reply, answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/blue/:id',
    {
      schema: {
        summary: 'The current state of a document',
        tags: ['documents'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const document = await readableDocument(context, request, reply, account, request.params.id);
      if (document === undefined) return reply;
      reply.header('etag', `"${document.blueId}"`);
      return send(request, reply, { statusCode: 200, body: document.state });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/blue/:id/history',
    {
      schema: {
        summary: 'What happened to a document: every event, its patches, emitted events, status',
        tags: ['documents'],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      const document = await readableDocument(context, request, reply, account, request.params.id);
      if (document === undefined) return reply;
      const store = context.engine.store;
      const events: JsonObject[] = (await store.results(document.id)).map((result) => ({
        version: result.version,
        origin: result.origin,
        at: result.at,
        event: result.event,
        ...(result.entryBlueId === null ? {} : { entryBlueId: result.entryBlueId }),
        status: result.status,
        patches: result.patches,
        emitted: result.emitted,
        blueId: result.blueId,
      }));
      return send(request, reply, {
        statusCode: 200,
        body: {
          documentId: document.id,
          blueId: document.blueId,
          version: document.version,
          type: document.typeName,
          events,
        },
      });
    },
  );
}

/**
 * Lint errors refuse a post as validation problems do (problemsError): the first error leads
 * the message with its line:col, and `problems` holds every finding, warnings included, each
 * with its linter code (lint-codes.ts), severity, pointer and line:col.
 */
function lintRefusal(findings: readonly LintFinding[]): Reply {
  const first = findings.find((finding) => finding.severity === 'error') ?? findings[0];
  const where =
    first?.position === undefined ? '' : `line ${first.position.line}:${first.position.col}: `;
  const { statusCode, body } = errorReply({
    code: 'lint_failed',
    message: `${where}${first?.message ?? 'the document does not pass the linter'}`,
    ...(first === undefined || first.pointer === '' ? {} : { param: first.pointer }),
  });
  const error = isJsonObject(body) && isJsonObject(body.error) ? body.error : {};
  return { statusCode, body: { error: { ...error, problems: findings.map(findingJson) } } };
}

/**
 * A card the network declined as the payment was created: 402 `card_declined`, as Stripe
 * answers, with the payment that was stored (`document`, `documentId`), which stays
 * retryable with its `authorize` operation (a new token). Undefined when nothing was declined.
 */
function declinedReply(created: CreateOutcome): Reply | undefined {
  if (!created.created) return undefined;
  const declined = created.results[0]?.answers.find(
    (answer) => scalarOf(answer.type) === 'Payments/Payment Declined',
  );
  if (declined === undefined) return undefined;
  const { statusCode, body } = errorReply({
    code: 'card_declined',
    message: String(scalarOf(declined.message) ?? 'the card was declined'),
  });
  const error = isJsonObject(body) && isJsonObject(body.error) ? body.error : {};
  const declineCode = scalarOf(declined.declineCode);
  return {
    statusCode,
    body: {
      error: {
        ...error,
        ...(typeof declineCode === 'string' ? { declineCode } : {}),
        documentId: created.document.id,
        document: created.document.state,
      },
    },
  };
}

/** Longest `paydoc-warnings` header value, and longest message in it. */
const WARNINGS_HEADER_BYTES = 4096;
const WARNING_MESSAGE_CHARS = 300;

/**
 * Warnings go with the 201/200 in a header, not in the body: the body is the document's state,
 * which clients (and the seeds' APIs) read as it is. `paydoc-warnings` is a JSON array of
 * `{code, severity, message, pointer, line, col}`, compact and ASCII only (every other
 * character escaped as `\uXXXX`, so it is a valid header value and the same JSON), at most
 * 4 KiB: the findings that fit, in document order, messages cut at 300 characters. When some do
 * not fit, `paydoc-warnings-omitted` says how many (`paydoc validate` lists them all).
 */
function setWarnings(reply: FastifyReply, findings: readonly LintFinding[]): void {
  if (findings.length === 0) return;
  const items: string[] = [];
  let length = 2;
  for (const finding of findings) {
    const message =
      finding.message.length > WARNING_MESSAGE_CHARS
        ? `${finding.message.slice(0, WARNING_MESSAGE_CHARS - 1)}…`
        : finding.message;
    const item = asciiJson(findingJson({ ...finding, message }));
    if (length + item.length + 1 > WARNINGS_HEADER_BYTES) break;
    items.push(item);
    length += item.length + 1;
  }
  reply.header('paydoc-warnings', `[${items.join(',')}]`);
  if (items.length < findings.length)
    reply.header('paydoc-warnings-omitted', String(findings.length - items.length));
}

function findingJson(finding: LintFinding): JsonObject {
  return {
    code: finding.code,
    severity: finding.severity,
    message: finding.message,
    pointer: finding.pointer,
    ...(finding.position === undefined
      ? {}
      : { line: finding.position.line, col: finding.position.col }),
  };
}

/** JSON text with every character outside printable ASCII escaped (`\u00e9`). */
function asciiJson(value: JsonObject): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A refusal naming a field of the posted document leads with that field's line:col. */
function located(error: ServiceError, document: JsonObject, positions: SourceMap): ServiceError {
  if (error.param === undefined || !error.param.startsWith('/')) return error;
  const position = locate(document, error.param, positions);
  if (position === undefined) return error;
  return { ...error, message: `line ${position.line}:${position.col}: ${error.message}` };
}
