import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { DocumentEngine } from '../engine/document-engine.js';
import { PaydocError } from '../errors/paydoc-error.js';
import type { TypeRegistry } from '../types/type-registry.js';
import type { DocumentValidator } from '../validation/document-validator.js';
import { AccountTurns } from './account-turns.js';
import { Authenticator } from './authenticate.js';
import type { HttpContext } from './http-context.js';
import { sendError } from './http-context.js';
import { BODY_TYPES, BodyEncodingError, decodeBody } from './request-body.js';
import { accountRoutes } from './routes/account-routes.js';
import { typeRoutes } from './routes/type-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { logRoutes } from './routes/log-routes.js';
import { exportRoutes } from './routes/export-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';
import { apiRoutes } from './routes/api-routes.js';
import { blueRoutes } from './routes/blue-routes.js';
import { docsRoutes } from './routes/docs-routes.js';
import { timelineRoutes } from './routes/timeline-routes.js';
import { checkoutRoutes } from './routes/checkout-routes.js';
import { bitpayRoutes } from './routes/bitpay-routes.js';
import { testRoutes } from './routes/test-routes.js';
import { TestMode } from '../engine/test-mode.js';
import type { RateWindow } from './bitpay/invoice-rate-limit.js';
import { InvoiceRateLimit } from './bitpay/invoice-rate-limit.js';
import { typeComponents } from './type-components.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  engine: DocumentEngine;
  registry: TypeRegistry;
  validator: DocumentValidator;
  /** Largest accepted body in bytes (default 1 MiB); larger ones get 413. */
  bodyLimit?: number;
  /** pino logger options, or false (default false: the CLI logs what matters). */
  logger?: boolean | { level: string };
  /**
   * Webhook URLs may be http and point at loopback or private addresses (development and
   * tests; PAYDOC_WEBHOOK_ALLOW_PRIVATE=1). Off by default.
   */
  webhookAllowPrivate?: boolean;
  /** The server's public origin for the URLs it hands out (invoice URLs); else each request's. */
  publicUrl?: string;
  /** BitPay's invoice creation windows (default BITPAY_INVOICE_LIMITS); tests change them. */
  invoiceLimits?: readonly RateWindow[];
}

/**
 * The fastify app: routes, the one error envelope, OpenAPI. Bodies are read as text and
 * parsed by paydoc's strict YAML/JSON loader (so every problem has a line:col); fastify's
 * own body validation is off for the same reason — the route schemas document the API.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    return503OnClosing: true,
  });
  app.removeAllContentTypeParsers();
  // Bytes, decoded strictly here (routes still get text): invalid UTF-8 is a 400, not U+FFFD.
  app.addContentTypeParser([...BODY_TYPES], { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      text = typeof body === 'string' ? body : decodeBody(body);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    done(null, text);
  });
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'paydoc',
        version: '0.1.0',
        description:
          'Programmable payment documents: post a document to /blue, participants append to their timelines, merchants call REST API channels. Bodies are YAML or JSON.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          basic: { type: 'http', scheme: 'basic' },
        },
        schemas: typeComponents(options.registry) as never,
      },
      security: [{ apiKey: [] }, { basic: [] }],
    },
  });

  const context: HttpContext = {
    engine: options.engine,
    registry: options.registry,
    validator: options.validator,
    auth: new Authenticator(options.engine.store),
    turns: new AccountTurns(),
    webhookAllowPrivate: options.webhookAllowPrivate ?? false,
    testMode: new TestMode(options.engine),
    invoiceLimit: new InvoiceRateLimit(options.invoiceLimits),
    ...(options.publicUrl === undefined
      ? {}
      : { publicUrl: options.publicUrl.replace(/\/+$/, '') }),
  };
  blueRoutes(app, context);
  timelineRoutes(app, context);
  apiRoutes(app, context);
  accountRoutes(app, context);
  typeRoutes(app, context);
  keyRoutes(app, context);
  logRoutes(app, context);
  exportRoutes(app, context);
  webhookRoutes(app, context);
  checkoutRoutes(app, context);
  bitpayRoutes(app, context);
  testRoutes(app, context);
  docsRoutes(app);

  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, {
      code: 'route_not_found',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  );
  app.setErrorHandler((error: FastifyError, request, reply) => {
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(request, reply, {
          code: 'body_too_large',
          message: `the body is larger than ${options.bodyLimit ?? 1024 * 1024} bytes`,
        });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(request, reply, {
          code: 'unsupported_media_type',
          message: `send the body as ${BODY_TYPES.join(' or ')}`,
          param: 'Content-Type',
        });
    }
    if (error instanceof BodyEncodingError)
      return sendError(request, reply, { code: 'invalid_encoding', message: error.message });
    if (error instanceof PaydocError && error.code === 'store_conflict')
      return sendError(request, reply, { code: error.code, message: error.message });
    // Disk full: nothing was written; reads go on, and writes once there is space again.
    if (error instanceof PaydocError && error.code === 'storage_unavailable') {
      reply.header('retry-after', '5');
      return sendError(request, reply, { code: error.code, message: error.message });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return sendError(request, reply, { code: 'invalid_request', message: error.message });
    request.log.error({ err: error }, 'unexpected failure');
    return sendError(request, reply, {
      code: 'internal',
      message: 'an unexpected failure; nothing of this request was written',
    });
  });
  return app;
}
