/**
 * The simulated card network (the outside world): what authorising a test token answers.
 * Tokens follow Stripe's test-card names; any other token (the seed's `tok_1234`) is a card
 * that authorises, so the seed documents run as written.
 *
 * A token is `tok_` and 1 to 64 letters, digits or underscores; anything else (above all a raw
 * card number) is no token, and the processor refuses it before it reaches the network.
 *
 * Tokens issued by `POST /test/tokens` carry what their card does: `<fixed token>_<16 base62>`,
 * where the fixed token is the one of the Stripe test card the number stands for
 * (4000000000000002 → `tok_chargeDeclined_…`) or `tok_<brand>` for a card that authorises
 * (`tok_visa_…`). The network reads the behaviour back from the token alone: no state, no
 * randomness here (the random part is drawn at the HTTP edge).
 */
export type NetworkAnswer =
  | { outcome: 'authorized' }
  | { outcome: 'declined'; code: string; declineCode: string; message: string }
  | { outcome: 'requires_action'; nextAction: string };

const DECLINES: Readonly<Record<string, { declineCode: string; message: string }>> = {
  tok_chargeDeclined: { declineCode: 'generic_decline', message: 'Your card was declined.' },
  tok_chargeDeclinedInsufficientFunds: {
    declineCode: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  tok_chargeDeclinedFraudulent: { declineCode: 'fraudulent', message: 'Your card was declined.' },
  tok_expiredCard: { declineCode: 'expired_card', message: 'Your card has expired.' },
  tok_incorrectCvc: {
    declineCode: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
};

/** Tokens whose card needs the customer to authenticate (3-D Secure) before it authorises. */
export const AUTHENTICATION_TOKENS: ReadonlySet<string> = new Set([
  'tok_threeDSecureRequired',
  'tok_authenticationRequired',
]);

/**
 * Stripe's test card numbers that do something else than authorise, and the fixed token each
 * behaves as; every other number that passes the Luhn check authorises.
 */
export const TEST_CARD_BEHAVIOURS: Readonly<Record<string, string>> = {
  '4000000000000002': 'tok_chargeDeclined',
  '4000000000009995': 'tok_chargeDeclinedInsufficientFunds',
  '4000000000000069': 'tok_expiredCard',
  '4000000000000127': 'tok_incorrectCvc',
  '4000002500003155': 'tok_threeDSecureRequired',
  '4100000000000019': 'tok_chargeDeclinedFraudulent',
};

/** The length of the random part of an issued token (base62). */
export const ISSUED_TOKEN_RANDOM_LENGTH = 16;

/** What a token looks like. */
const TOKEN = /^tok_[A-Za-z0-9_]{1,64}$/;
/** An issued token: its behaviour (a fixed token, or `tok_<brand>`) and its random part. */
const ISSUED = new RegExp(`^(tok_[A-Za-z0-9]+)_[A-Za-z0-9]{${ISSUED_TOKEN_RANDOM_LENGTH}}$`);
/** A text that is a card number as people write it: 12 to 19 digits, spaces or dashes between. */
const CARD_NUMBER_LIKE = /^[0-9][0-9 -]{10,40}[0-9]$/;
/** Runs of digits long enough to be a card number. */
const DIGIT_RUNS = /[0-9]{12,19}/g;

/** Does `digits` (digits only) pass the Luhn check that every card number carries? */
export function luhnValid(digits: string): boolean {
  if (!/^[0-9]+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The message for a raw card number given where a token belongs (never the number itself). */
export const RAW_CARD_NUMBER_MESSAGE =
  'a raw card number is never accepted as a token: tokenise the card first (POST /test/tokens in test mode)';

/**
 * Why `token` is not a card token, or undefined when it is one. The message never repeats
 * the text: it may be a card number, of which it shows at most the last 4 digits.
 */
export function tokenProblem(token: string): string | undefined {
  const trimmed = token.trim();
  if (CARD_NUMBER_LIKE.test(trimmed)) {
    const digits = trimmed.replace(/[ -]/g, '');
    if (digits.length >= 12 && digits.length <= 19)
      return `${RAW_CARD_NUMBER_MESSAGE}; got the number ending in ${digits.slice(-4)}`;
  }
  if (!TOKEN.test(token)) {
    const why = !token.startsWith('tok_')
      ? 'it does not start with tok_'
      : token.length === 4
        ? 'nothing follows tok_'
        : token.length > 68
          ? `it is ${token.length} characters long`
          : 'it has a character other than letters, digits and _ after tok_';
    return `a card token is tok_ followed by 1 to 64 letters, digits or _ (e.g. tok_visa, or one POST /test/tokens issued); this one is not: ${why}`;
  }
  // A card number inside a token is still a card number.
  for (const run of token.match(DIGIT_RUNS) ?? [])
    if (luhnValid(run))
      return `${RAW_CARD_NUMBER_MESSAGE}, not even inside a token; got one holding the number ending in ${run.slice(-4)}`;
  return undefined;
}

/**
 * What an issued token's behaviour part is for the card `digits` (digits only, Luhn-valid) of
 * `brand`: the fixed token of a Stripe test card that declines or needs 3-D Secure, else
 * `tok_<brand>`, a card that authorises.
 */
export function issuedTokenBehaviour(digits: string, brand: string): string {
  return TEST_CARD_BEHAVIOURS[digits] ?? `tok_${brand}`;
}

/** The fixed token `token` behaves as: its behaviour part when it is an issued token. */
function behaviourOf(token: string): string {
  return ISSUED.exec(token)?.[1] ?? token;
}

/** Asks the simulated network to authorise `token`; `authenticated` after the customer did 3-D Secure. */
export function authorizeOnNetwork(
  token: string,
  chargeId: string,
  authenticated = false,
): NetworkAnswer {
  const behaviour = behaviourOf(token);
  const decline = Object.hasOwn(DECLINES, behaviour) ? DECLINES[behaviour] : undefined;
  if (decline !== undefined) return { outcome: 'declined', code: 'card_declined', ...decline };
  if (AUTHENTICATION_TOKENS.has(behaviour) && !authenticated) {
    return { outcome: 'requires_action', nextAction: `https://hooks.paydoc.test/3ds/${chargeId}` };
  }
  return { outcome: 'authorized' };
}
