import type { ErrorCode } from '../errors/error-code.js';
import type { Problem } from '../errors/problem.js';
import type { JsonObject } from '../model/json.js';
import type { Reply, ServiceError } from '../engine/outcome.js';

/** The kinds of error a client can tell apart by `error.type` (Stripe's vocabulary). */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'idempotency_error'
  | 'conflict_error'
  | 'payment_error'
  | 'rate_limit_error'
  | 'api_error';

interface Mapping {
  status: number;
  type: ErrorType;
}

/** Service codes with their own status; every other code is a 4xx named by its family below. */
const SERVICE: Partial<Record<ErrorCode, Mapping>> = {
  unauthorized: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  no_api_access: { status: 403, type: 'permission_error' },
  operator_only: { status: 403, type: 'permission_error' },
  binding_forbidden: { status: 400, type: 'invalid_request_error' },
  reserved_channel: { status: 400, type: 'invalid_request_error' },
  lint_failed: { status: 400, type: 'invalid_request_error' },
  reserved_event_type: { status: 422, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  route_not_found: { status: 404, type: 'not_found_error' },
  idempotency_key_reused: { status: 400, type: 'idempotency_error' },
  idempotency_key_in_use: { status: 409, type: 'idempotency_error' },
  document_exists: { status: 409, type: 'conflict_error' },
  type_exists: { status: 409, type: 'conflict_error' },
  too_many_types: { status: 409, type: 'conflict_error' },
  participant_key_taken: { status: 409, type: 'conflict_error' },
  too_many_participant_keys: { status: 409, type: 'conflict_error' },
  too_many_cosignatures: { status: 409, type: 'conflict_error' },
  too_many_webhook_endpoints: { status: 409, type: 'conflict_error' },
  unknown_event_type: { status: 400, type: 'invalid_request_error' },
  unknown_participant_key: { status: 400, type: 'invalid_request_error' },
  invalid_signature: { status: 400, type: 'invalid_request_error' },
  webhook_url_invalid: { status: 400, type: 'invalid_request_error' },
  webhook_url_refused: { status: 400, type: 'invalid_request_error' },
  webhook_dns_failed: { status: 400, type: 'invalid_request_error' },
  sequence_conflict: { status: 409, type: 'conflict_error' },
  store_conflict: { status: 409, type: 'conflict_error' },
  body_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  card_declined: { status: 402, type: 'payment_error' },
  // A payment the processor will not open (POST /blue, POST /api/invoice): the request's fault.
  invalid_price: { status: 400, type: 'invalid_request_error' },
  invalid_currency: { status: 400, type: 'invalid_request_error' },
  invalid_speed: { status: 400, type: 'invalid_request_error' },
  invalid_notification_url: { status: 400, type: 'invalid_request_error' },
  money_invalid_decimal: { status: 400, type: 'invalid_request_error' },
  money_unknown_currency: { status: 400, type: 'invalid_request_error' },
  money_overflow: { status: 400, type: 'invalid_request_error' },
  money_negative: { status: 400, type: 'invalid_request_error' },
  // A card token that is not one (a raw card number), at creation or on a retry, and a card
  // that cannot be tokenised (POST /test/tokens): the request's fault.
  invalid_token: { status: 400, type: 'invalid_request_error' },
  invalid_card_number: { status: 400, type: 'invalid_request_error' },
  invalid_expiry_month: { status: 400, type: 'invalid_request_error' },
  invalid_expiry_year: { status: 400, type: 'invalid_request_error' },
  expired_card: { status: 400, type: 'invalid_request_error' },
  invalid_cvc: { status: 400, type: 'invalid_request_error' },
  overloaded: { status: 503, type: 'api_error' },
  storage_unavailable: { status: 503, type: 'api_error' },
  sandbox_unavailable: { status: 503, type: 'api_error' },
  internal: { status: 500, type: 'api_error' },
};

/** Codes of a document that cannot be read or does not conform: 400. */
const LOADING: ReadonlySet<string> = new Set([
  'yaml_syntax',
  'yaml_duplicate_key',
  'yaml_unknown_tag',
  'yaml_alias_limit',
  'yaml_too_large',
  'yaml_unsafe_integer',
  'yaml_invalid_key',
  'yaml_empty',
  'invalid_node',
  'unknown_type',
  'type_conflict',
  'type_cycle',
  'validation_failed',
  'invalid_request',
  'invalid_encoding',
  'usage',
]);

/**
 * The one place where an error code becomes an HTTP status and error type. Loading and
 * validation problems are 400; a well-formed request that the document or the payment
 * processor refuses (a workflow rejects it, a capture above the authorised amount) is 422
 * `payment_error`, with the processor's own code.
 */
export function mappingOf(code: ErrorCode): Mapping {
  const own = SERVICE[code];
  if (own !== undefined) return own;
  if (LOADING.has(code)) return { status: 400, type: 'invalid_request_error' };
  return { status: 422, type: 'payment_error' };
}

/** The envelope `{error: {type, code, message, param?, problems?}}` and its status. */
export function errorReply(error: ServiceError): Reply {
  const { status, type } = mappingOf(error.code);
  const body: JsonObject = { type, code: error.code, message: error.message };
  if (error.param !== undefined) body.param = error.param;
  if (error.problems !== undefined && error.problems.length > 0)
    body.problems = error.problems.map(problemJson);
  return { statusCode: status, body: { error: body } };
}

/** Problems from loading or validating a text: the first one leads, with its line:col. */
export function problemsError(problems: readonly Problem[]): ServiceError {
  const first = problems[0];
  const where =
    first?.position === undefined ? '' : `line ${first.position.line}:${first.position.col}: `;
  return {
    code: first?.code ?? 'invalid_request',
    message: `${where}${first?.message ?? 'the body is invalid'}`,
    ...(first?.pointer === undefined ? {} : { param: first.pointer }),
    problems,
  };
}

function problemJson(problem: Problem): JsonObject {
  return {
    code: problem.code,
    message: problem.message,
    ...(problem.pointer === undefined ? {} : { pointer: problem.pointer }),
    ...(problem.position === undefined
      ? {}
      : { line: problem.position.line, col: problem.position.col }),
  };
}
