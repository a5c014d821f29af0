import type { FastifyInstance } from 'fastify';
import type { BlocksMined, ClockAdvanced, PaymentSimulated } from '../../engine/test-mode.js';
import { MAX_BLOCKS, MAX_CLOCK_ADVANCE_MS } from '../../engine/test-mode.js';
import type { JsonObject } from '../../model/json.js';
import { ownValue } from '../../model/json.js';
import { invoiceJson } from '../../payments/bitcoin/invoice-json.js';
import { formatMinor } from '../../payments/money/money.js';
import { decimalField, numberSources } from '../bitpay/decimal-fields.js';
import type { IssuedToken } from '../card-tokens.js';
import { drawTokenRandom, issueTestToken } from '../card-tokens.js';
import type { HttpContext } from '../http-context.js';
import { responder, send, sendError, writeRequest } from '../http-context.js';
import { ERROR_SCHEMA, JSON_OBJECT } from '../openapi-schemas.js';

/*
 * Test mode's helpers over HTTP (see src/engine/test-mode.ts): the simulated bitcoin chain and
 * the account's test clock, for the account whose key calls them, as Stripe's test helpers.
 */
export function testRoutes(app: FastifyInstance, context: HttpContext): void {
  app.post(
    '/test/bitcoin/payments',
    {
      schema: {
        summary: 'Test mode: a bitcoin transaction to one of your invoices is seen',
        description:
          'Body {address, amount}: amount in BTC (a JSON number or a decimal string, at most 8 decimals). The transaction is delivered to the invoice document’s bitcoinNetwork channel (0 confirmations); mine blocks to confirm it.',
        tags: ['test mode'],
        body: JSON_OBJECT,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await writeRequest(context, request, reply);
      if (write === undefined) return reply;
      const { account, body, claim } = write;
      const address = ownValue(body, 'address');
      if (typeof address !== 'string' || address.length === 0 || address.length > 128)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: 'address must be the bitcoin address of one of your invoices',
          param: 'address',
        });
      const text = typeof request.body === 'string' ? request.body : '';
      const amount = decimalField(body, numberSources(text, ['amount']), 'amount', 'BTC');
      if (!amount.ok) return sendError(request, reply, amount.error);
      const answer = await context.testMode.payBitcoin(
        account.id,
        address,
        amount.value.amount,
        responder(
          () => 200,
          (paid: PaymentSimulated) => ({
            txid: paid.txid,
            address: paid.address,
            amount: formatMinor(paid.amount, 'BTC'),
            confirmations: 0,
            invoice: invoiceJson(paid.invoice),
          }),
        ),
        claim,
      );
      return send(request, reply, answer);
    },
  );

  app.post(
    '/test/bitcoin/blocks',
    {
      schema: {
        summary: 'Test mode: blocks are mined',
        description: `Body {count} (1 to ${MAX_BLOCKS}, default 1): every transaction your invoices saw gains count confirmations.`,
        tags: ['test mode'],
        body: JSON_OBJECT,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await writeRequest(context, request, reply);
      if (write === undefined) return reply;
      const { account, body, claim } = write;
      const count = ownValue(body, 'count') ?? 1;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_BLOCKS)
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `count must be an integer from 1 to ${MAX_BLOCKS}`,
          param: 'count',
        });
      const answer = await context.testMode.mineBlocks(
        account.id,
        count,
        responder(
          () => 200,
          (mined: BlocksMined) => ({
            count: mined.count,
            confirmations: mined.confirmations as unknown as JsonObject[],
          }),
        ),
        claim,
      );
      return send(request, reply, answer);
    },
  );

  app.post(
    '/test/clock',
    {
      schema: {
        summary: 'Test mode: your clock moves forward',
        description: `Body {advanceBy}: milliseconds (1 to ${MAX_CLOCK_ADVANCE_MS}). Your documents' timers due by then (invoice expiry, authorisation expiry) fire now; from then on your time runs that far ahead of the server's.`,
        tags: ['test mode'],
        body: JSON_OBJECT,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await writeRequest(context, request, reply);
      if (write === undefined) return reply;
      const { account, body, claim } = write;
      const advanceBy = ownValue(body, 'advanceBy');
      if (
        typeof advanceBy !== 'number' ||
        !Number.isInteger(advanceBy) ||
        advanceBy < 1 ||
        advanceBy > MAX_CLOCK_ADVANCE_MS
      )
        return sendError(request, reply, {
          code: 'invalid_request',
          message: `advanceBy must be an integer number of milliseconds from 1 to ${MAX_CLOCK_ADVANCE_MS}`,
          param: 'advanceBy',
        });
      const answer = await context.testMode.advanceClock(
        account.id,
        advanceBy,
        responder(
          () => 200,
          (advanced: ClockAdvanced) => ({
            offsetMs: advanced.offsetMs,
            now: advanced.now,
            fired: advanced.fired,
          }),
        ),
        claim,
      );
      return send(request, reply, answer);
    },
  );

  app.post(
    '/test/tokens',
    {
      schema: {
        summary: 'Test mode: a card is tokenised',
        description:
          'Body {card: {number, exp_month, exp_year, cvc?}}: number 12 to 19 digits (spaces and dashes allowed) passing the Luhn check, an expiry not yet past. Answers {id: "tok_…", card: {brand, last4, exp_month, exp_year}}; the token is what a card payment document carries (a raw card number never is), and what the simulated network does with it follows Stripe\'s test cards (4242424242424242 authorises, 4000000000000002 is declined, 4000002500003155 needs 3-D Secure, …). The card itself is kept nowhere.',
        tags: ['test mode'],
        body: JSON_OBJECT,
        response: { 200: JSON_OBJECT, '4xx': ERROR_SCHEMA },
      },
    },
    async (request, reply) => {
      const write = await writeRequest(context, request, reply);
      if (write === undefined) return reply;
      const { account, body, claim } = write;
      // The random part is drawn here, at the edge; an Idempotency-Key replay answers the same token.
      const random = drawTokenRandom();
      const answer = await context.engine.write({
        key: `tokens ${account.id}`,
        lane: account.id,
        idempotency: claim,
        work: (_set, at) => Promise.resolve(issueTestToken(body, at, random)),
        respond: responder(
          () => 200,
          (issued: IssuedToken) => ({ id: issued.id, card: { ...issued.card } }),
        ),
      });
      return send(request, reply, answer);
    },
  );
}
