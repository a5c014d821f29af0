import type { FastifyInstance } from 'fastify';
import { isOperator } from '../../engine/accounts.js';
import { currentKey, publishedKey } from '../../engine/signing-keys.js';
import type { HttpContext } from '../http-context.js';
import { accountOf, responder, send, sendError } from '../http-context.js';
import { ERROR_SCHEMA, JSON_OBJECT } from '../openapi-schemas.js';

/**
 * The server's entry-signing keys (issue 13): `GET /.well-known/paydoc/keys` publishes every
 * key, retired ones included, to anyone (verifying needs no account); the operator rotates.
 */
export function keyRoutes(app: FastifyInstance, context: HttpContext): void {
  app.get(
    '/.well-known/paydoc/keys',
    {
      schema: {
        summary: "The server's entry-signing keys (Ed25519), retired ones included",
        description:
          'Every timeline entry carries `signature: {keyId, value}`: the Ed25519 signature (base64) of `paydoc entry signature v1\\n<timelineId>\\n<sequence>\\n<entry BlueId>\\n` by the key of that id. A retired key signs no more but stays here, so that what it signed can be verified.',
        tags: ['keys'],
        response: { 200: JSON_OBJECT },
      },
    },
    async (request, reply) => {
      const keys = await context.engine.store.signingKeys();
      const current = currentKey(keys);
      return send(request, reply, {
        statusCode: 200,
        body: { keys: keys.map((key) => publishedKey(key, key === current)) },
      });
    },
  );

  app.post(
    '/admin/signing-keys/rotate',
    {
      schema: {
        summary: 'Rotate the entry-signing key (operator key only)',
        tags: ['keys'],
        response: { 201: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const account = await accountOf(context, request, reply);
      if (account === undefined) return reply;
      if (!isOperator(account.id))
        return sendError(request, reply, {
          code: 'operator_only',
          message: 'only the operator key may rotate the signing key',
        });
      const answer = await context.engine.rotateSigningKey(
        responder(
          () => 201,
          (value) => value,
        ),
      );
      return send(request, reply, answer);
    },
  );
}
