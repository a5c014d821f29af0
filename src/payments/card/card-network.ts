/**
 * The simulated card network (the outside world): what authorising a test token answers.
 * Tokens follow Stripe's test-card names; any other token (the seed's `tok_1234`) is a card
 * that authorises, so the seed documents run as written.
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

/** Asks the simulated network to authorise `token`; `authenticated` after the customer did 3-D Secure. */
export function authorizeOnNetwork(
  token: string,
  chargeId: string,
  authenticated = false,
): NetworkAnswer {
  const decline = DECLINES[token];
  if (decline !== undefined) return { outcome: 'declined', code: 'card_declined', ...decline };
  if (AUTHENTICATION_TOKENS.has(token) && !authenticated) {
    return { outcome: 'requires_action', nextAction: `https://hooks.paydoc.test/3ds/${chargeId}` };
  }
  return { outcome: 'authorized' };
}
