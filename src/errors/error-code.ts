/**
 * The one error catalogue. Every expected outcome (a value) and every unexpected failure
 * (a thrown {@link PaydocError}) carries one of these stable codes; clients may switch on them.
 */
export const ERROR_CATALOGUE = {
  // Loading a document (YAML/JSON text → node tree)
  yaml_syntax: 'The text is not well-formed YAML/JSON.',
  yaml_duplicate_key: 'A mapping repeats a key.',
  yaml_unknown_tag: 'A YAML tag that paydoc does not accept (only plain YAML 1.2 core types).',
  yaml_alias_limit: 'Too many anchors/aliases were expanded (alias bomb guard).',
  yaml_too_large: 'The input exceeds the size, depth or node-count limit.',
  yaml_unsafe_integer: 'An unquoted integer beyond ±(2^53−1) would lose precision; quote it.',
  yaml_invalid_key: 'A mapping key that is not a plain scalar.',
  yaml_empty: 'The input holds no document.',
  // Node anatomy and types
  invalid_node: 'A node breaks the Blue node rules (e.g. both value and items).',
  unknown_type: 'A type name or BlueId that the registry does not know.',
  type_conflict: 'A type overlay changes a fixed value or widens a field type.',
  type_cycle: 'Types refer to each other in a cycle.',
  // Validation
  validation_failed: 'The document does not conform to its type.',
  lint_failed:
    'The document conforms to its type but would fail or do nothing once it runs (a script that does not compile, a channel, operation or type that is not there, a change the processor refuses); the problems carry the linter codes.',
  // Files and usage
  file_not_found: 'A file named on the command line could not be read.',
  usage: 'The command was called with the wrong arguments.',
  internal: 'An unexpected failure inside paydoc.',
  // Payments: money
  money_not_integer:
    'An amount or ratio is not an integer number (a float, a string, NaN or Infinity).',
  money_overflow:
    'An amount, or the result of an operation on amounts, is beyond ±(2^53−1) minor units.',
  money_negative: 'A negative amount where only zero or more is allowed.',
  money_unknown_currency:
    'A currency code that paydoc does not know (codes are upper case, e.g. USD).',
  money_currency_mismatch: 'An operation on amounts of different currencies.',
  money_invalid_ratio:
    'A ratio, rate or split that cannot be applied (zero denominator, negative or all-zero ratios).',
  money_invalid_rounding: 'A rounding mode that is not one of the named modes.',
  money_invalid_decimal:
    'A decimal amount that is not a plain decimal number, or has more decimals than its currency (10.505 USD).',
  // Payments: bitcoin keys
  btc_wif_invalid: 'The text is not a WIF private key.',
  btc_wif_checksum: 'A WIF private key whose base58check checksum does not match (a mistyped key).',
  btc_wif_wrong_network: 'A WIF private key of another network than the one required.',
  btc_public_key_invalid:
    'Not a valid secp256k1 public key (bad hex, wrong length, or not on the curve).',
  btc_public_key_uncompressed:
    'An uncompressed public key where segwit requires the 33-byte compressed form.',
  btc_multisig_duplicate_key: 'A multisig wallet given the same public key twice.',
  // Processing an event (a rejected event: nothing changed)
  illegal_request: 'A request the document or the processor refuses (Illegal Request).',
  script_error: 'A JavaScript step threw or returned something that is not a JSON object.',
  script_timeout: 'A JavaScript step ran out of CPU time (retryable: an infrastructure failure).',
  script_memory: 'A JavaScript step ran out of memory (retryable: an infrastructure failure).',
  sandbox_unavailable: 'No sandbox could run the step (retryable: an infrastructure failure).',
  patch_invalid: 'A change that is malformed or whose path does not exist.',
  patch_forbidden: 'A change to the root, a processor marker or a prototype path.',
  expression_error: 'A ${…} expression failed or was undefined.',
  invalid_event: 'An emitted event that does not conform to its type.',
  unknown_step: 'A workflow step of a type paydoc cannot run.',
  cascade_limit: 'Too many triggered deliveries for one event.',
  gas_exhausted: 'The event needs more gas than its budget.',
  terminated: 'The document has terminated and accepts no more events.',
  already_initialized: 'The document was already initialized.',
  unknown_channel: 'An event for a channel the document does not have.',
  boundary_violation:
    "A change across an embedded document's boundary: a parent writing inside an embedded child (Core/Process Embedded).",
  budget_exceeded:
    'The event needs more than its budget (JavaScript CPU, steps, cascade or bytes produced); rejected once, never retried.',
  state_limit_exceeded:
    'The event would leave a document beyond the limits a loaded document has (size, depth, safe integers).',
  actor_not_allowed:
    "An operation called by an actor or from a source that the document's Actor Policy refuses.",
  // Payments: card charges
  invalid_amount: 'An amount that is not a positive safe integer in minor units (no floats).',
  amount_too_large:
    'More than the charge allows (capture above authorised, refund above what is left).',
  capture_not_allowed: 'A capture of a payment that is not authorised (or already captured).',
  void_not_allowed: 'A void of a payment that is no longer authorised.',
  refund_not_allowed: 'A refund of a payment that was never captured.',
  nothing_to_refund: 'A refund when nothing captured is left to refund.',
  authorization_expired: 'A capture after the authorisation expired.',
  expiry_not_applicable: 'An expiry of a payment that is not an open authorisation.',
  not_yet_expired: 'An expiry before the authorisation deadline.',
  charge_not_retryable:
    'A new authorisation of a payment that is neither declined nor awaiting authentication.',
  dispute_not_allowed: 'A dispute that the charge cannot carry (not captured, or too large).',
  unknown_dispute: 'A dispute id the charge does not have.',
  dispute_closed: 'A change to a dispute that is already decided.',
  unknown_charge: 'No charge for this document.',
  unknown_network_event: 'An event the card network simulator does not know.',
  // Payments: card tokens (a card is tokenised first: POST /test/tokens in test mode)
  invalid_token:
    'A card token that is not one (tok_ and 1 to 64 letters, digits or _); a raw card number is never accepted as a token.',
  invalid_card_number:
    'A card number that is not 12 to 19 digits (spaces and dashes allowed), or fails the Luhn check.',
  invalid_expiry_month: "A card's expiry month that is not an integer from 1 to 12.",
  invalid_expiry_year:
    "A card's expiry year that is not a year (four digits, or two for 20xx) within 50 years.",
  expired_card: "A card whose expiry month has passed on the server's clock.",
  invalid_cvc: "A card's security code that is not 3 or 4 digits.",
  // Payments: escrow orders
  invalid_command: 'A field is missing or malformed (ids must be non-empty text).',
  invalid_currency: 'A currency paydoc does not know or does not price this payment in.',
  invalid_time: 'A time that is not a non-negative integer (milliseconds since the Unix epoch).',
  order_exists: 'An order with this id already exists.',
  order_not_found: 'No order with this id.',
  merchant_mismatch: 'The order belongs to another merchant.',
  currency_mismatch: "The currency is not the order's (or the invoice's) currency.",
  debit_not_found: 'The order has no debit with this id.',
  payout_not_found: 'The order has no payout with this id.',
  refund_exceeds_debit: 'The refund is larger than what is left unrefunded of the debit.',
  refund_exceeds_escrow: 'The refund is larger than the escrow still holds (it was paid out).',
  payout_exceeds_escrow: 'The payout is larger than the amount escrowed in the order.',
  reversal_exceeds_payout: 'The reversal is larger than what is left unreversed of the payout.',
  fee_exceeds_escrow: 'The platform fee is larger than the amount escrowed in the order.',
  amount_overflow: 'A total or balance would leave the safe integer range.',
  // Payments: bitcoin invoices
  invalid_invoice_id: 'An invoice id that is not non-empty text.',
  invalid_url: 'An invoice URL that is not a URL.',
  invalid_price: 'A price that is not a positive integer in minor units.',
  invalid_rate: 'An exchange rate that is not a positive integer (minor units per BTC).',
  invalid_speed: 'A transactionSpeed other than high, medium or low.',
  invalid_notification_url: 'A notificationURL that is not https.',
  invalid_address: 'A bitcoin address that is not text.',
  invalid_txid: 'A transaction id that is not non-empty text.',
  invalid_confirmations: 'A confirmation count that is not a non-negative integer.',
  wrong_address: "A payment to another address than the invoice's.",
  duplicate_transaction: 'A transaction the invoice has already recorded.',
  unknown_transaction: 'Confirmations for a transaction the invoice never saw.',
  // The service (HTTP, store)
  unauthorized:
    'No API key, or a key paydoc does not know (Bearer, or HTTP Basic with the key as user).',
  forbidden: "The API key is valid but its account may not do this (another account's timeline).",
  not_found: 'No such resource, or not one this API key may see.',
  route_not_found: 'No route for this method and path.',
  no_api_access:
    'The document declares no REST API channel for this route (e.g. Smart Card Payment no API Access).',
  invalid_request: 'The request body or a parameter is malformed (see param).',
  rate_limited:
    'Too many requests of this kind from the account in a window (see Retry-After); BitPay: 100 invoices an hour.',
  card_declined:
    'The card network declined the payment at creation; the payment exists and may be retried with Authorize Payment {token}.',
  unsupported_media_type: 'A body that is neither JSON nor YAML.',
  body_too_large: 'The request body is larger than the limit.',
  idempotency_key_reused: 'An Idempotency-Key already used with a different request body.',
  idempotency_key_in_use: 'A request with this Idempotency-Key is still being processed.',
  document_exists: 'Another account already holds a document with exactly this content.',
  type_exists:
    'The account already has another type of this name (types are immutable: a new version takes a new name).',
  too_many_types: 'The account holds as many own types as it may.',
  sequence_conflict: 'The entry names a sequence or prevEntry that is not the timeline head.',
  store_conflict: 'A concurrent writer changed a document or timeline first (retryable).',
  overloaded: 'The server is shutting down or its queue is full (retryable).',
  // Who may speak (bindings, the processor's channels and answers, accounts and keys)
  binding_forbidden:
    'A posted document binds a contract to a timeline the poster does not own, or names a participant it cannot bind.',
  reserved_channel:
    "A posted document redeclares one of the processor's channels as one someone else could write to.",
  reserved_event_type:
    'A participant appended an event only the payment processor may say (Payment Captured, …).',
  operator_only: 'Only the operator key may do this (create and list accounts).',
  participant_key_taken:
    'A participant key (an Ed25519 public key) that another account has registered already.',
  too_many_participant_keys: 'The account holds as many participant keys as it may (20).',
  unknown_participant_key: "A keyId that is not one of the calling account's participant keys.",
  invalid_signature:
    'A co-signature that does not verify: not made by the key, under the account id, over the checkpoint of that size.',
  too_many_cosignatures: 'The checkpoint of this size carries as many co-signatures as a note may.',
  too_many_webhook_endpoints: 'The account has as many webhook endpoints as it may (16).',
  unknown_event_type: 'Not a webhook event type of the catalogue (docs/webhooks.md).',
  storage_unavailable:
    'The database cannot take writes now (disk full); nothing was written; retry after Retry-After.',
  invalid_encoding: 'The request body is not valid UTF-8.',
  // Webhooks (the outbox)
  webhook_url_invalid:
    'A webhook URL that is not an absolute https URL of at most 2048 characters without credentials.',
  webhook_url_refused:
    'A webhook URL whose host is, or resolves to, a loopback, private, link-local or otherwise non-public address.',
  webhook_dns_failed:
    'The host name of a webhook URL does not resolve (no address, or DNS failed).',
} as const;

/** A stable error code from {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Is `value` a code of the catalogue (e.g. one carried by a processor answer)? */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, value);
}
