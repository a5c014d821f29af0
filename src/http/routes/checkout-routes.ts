import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { JsonObject } from '../../model/json.js';
import { invoiceJson } from '../../payments/bitcoin/invoice-json.js';
import type { FoundInvoice } from '../bitpay/find-invoice.js';
import { findInvoice, invoiceTimeNow } from '../bitpay/find-invoice.js';
import { checkoutPage, contentSecurityPolicy, notFoundPage } from '../checkout/checkout-page.js';
import type { HttpContext } from '../http-context.js';
import { sendError } from '../http-context.js';
import { ERROR_SCHEMA, ID_PARAMS, JSON_OBJECT } from '../openapi-schemas.js';

const SCRIPT_PATH = '/invoices/checkout.js';

/** The browser script, bundled once. */
interface Bundle {
  code: string;
  /** A hash of the code: the page asks for `?v=<version>`, which may be cached for good. */
  version: string;
}

let bundle: Promise<Bundle> | undefined;

/**
 * The checkout script bundled by esbuild, once per process and only when first asked for (a
 * server that never shows a checkout page never runs esbuild). A failed build is forgotten, so
 * the next request tries again instead of failing for the life of the process.
 */
export function checkoutScript(): Promise<Bundle> {
  bundle ??= build({
    entryPoints: [fileURLToPath(new URL('../checkout/checkout-client.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    logLevel: 'silent',
  }).then(
    (result) => {
      const code = result.outputFiles[0]?.text ?? '';
      const version = createHash('sha256').update(code).digest('hex').slice(0, 16);
      return { code, version };
    },
    (error: unknown) => {
      bundle = undefined;
      throw error;
    },
  );
  return bundle;
}

/**
 * The buyer's side of a bitcoin invoice (docs/checkout.md): the checkout page at the invoice's
 * `url`, its status as JSON (what the page polls) and the page's script. All public: the buyer
 * has no API key; the invoice id in the URL is the capability, as in BitPay.
 */
export function checkoutRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine } = context;
  const now = (found: FoundInvoice): number => invoiceTimeNow(engine, found);

  app.get<{ Querystring: { v?: string } }>(
    SCRIPT_PATH,
    { schema: { hide: true } },
    async (request, reply) => {
      const script = await checkoutScript();
      // A versioned URL names exactly this code: it may be kept for good; a bare one briefly.
      const cache =
        request.query.v === script.version
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=300';
      return reply
        .header('cache-control', cache)
        .header('x-content-type-options', 'nosniff')
        .type('application/javascript; charset=utf-8')
        .send(script.code);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/invoices/:id',
    {
      schema: {
        summary: "An invoice's checkout page (HTML), for the buyer",
        description:
          'The page at the invoice `url`: the amount in the currency and in BTC, the address, a QR code of the BIP21 URI, the time left and the status, which it keeps current by polling `/invoices/{id}/status`. Public: no API key. 404 (an HTML page) for an unknown invoice.',
        tags: ['checkout'],
        security: [],
        params: ID_PARAMS,
      },
    },
    async (request, reply) => {
      const nonce = randomBytes(16).toString('base64');
      pageHeaders(reply, nonce);
      const found = await findInvoice(engine.store, request.params.id);
      if (found === undefined) return reply.code(404).send(notFoundPage(nonce));
      let scriptPath: string | undefined;
      try {
        scriptPath = `${SCRIPT_PATH}?v=${(await checkoutScript()).version}`;
      } catch (error) {
        // The page is right without its script (it just does not update itself): serve it.
        request.log.error({ err: error }, 'the checkout script could not be bundled');
      }
      const html = await checkoutPage(found.invoice, {
        now: now(found),
        nonce,
        ...(scriptPath === undefined ? {} : { scriptPath }),
      });
      return reply.code(200).send(html);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/invoices/:id/status',
    {
      schema: {
        summary: "An invoice's status, for its checkout page",
        description:
          "What the checkout page shows of BitPay's invoice object (status, amounts, address, BIP21 URI, times with `currentTime` the server's, orderID, itemDesc, redirectURL): never posData, the notification settings or the buyer's details. Public: no API key (the checkout page polls it).",
        tags: ['checkout'],
        security: [],
        params: ID_PARAMS,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const found = await findInvoice(engine.store, request.params.id);
      reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
      if (found === undefined)
        return sendError(request, reply, {
          code: 'not_found',
          message: `no invoice ${request.params.id.slice(0, 80)}`,
          param: 'id',
        });
      // Only what the buyer's page shows: never the merchant's posData, emails, or the buyer's
      // own details, to whoever holds the URL.
      const invoice = invoiceJson(found.invoice);
      const shown: JsonObject = {};
      for (const name of STATUS_FIELDS)
        if (Object.hasOwn(invoice, name)) shown[name] = invoice[name] ?? null;
      return reply
        .code(200)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify({ ...shown, currentTime: now(found) }));
    },
  );
}

/** The fields of the invoice object the status poll answers. */
const STATUS_FIELDS = [
  'id',
  'status',
  'exceptionStatus',
  'price',
  'currency',
  'btcPrice',
  'btcPaid',
  'btcDue',
  'address',
  'bitcoinUri',
  'confirmations',
  'invoiceTime',
  'expirationTime',
  'currentTime',
  'orderID',
  'itemDesc',
  'redirectURL',
] as const;

/** The page's headers: HTML, the strict CSP, never cached (the status changes), no referrer. */
function pageHeaders(reply: FastifyReply, nonce: string): void {
  reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', contentSecurityPolicy(nonce))
    .header('cache-control', 'no-store')
    // The invoice URL is the buyer's access to it: links out must not carry it along.
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff');
}
