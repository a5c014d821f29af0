/** The kinds of ledger account the escrow books use. */
export type AccountKind =
  'buyerFunding' | 'buyerRefunds' | 'orderEscrow' | 'merchantPayable' | 'platformFees';

/** The marketplace's own account that collects platform fees (one balance per currency). */
export const PLATFORM_FEES_ACCOUNT = 'platform:fees';

// Components are escaped so that no id can contain ':' and forge another account's name (a card
// token `x:refunds` would otherwise be the refund account of token `x`). Escaping '%' first keeps
// the mapping one-to-one; unlike encodeURIComponent it cannot throw on a lone surrogate.
function part(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The buyer's funding source (a card token): debits take money from here, so it goes negative. */
export function buyerFundingAccount(source: string): string {
  return `buyer:${part(source)}`;
}

/** Where refunds to the buyer's funding source land. */
export function buyerRefundsAccount(source: string): string {
  return `buyer:${part(source)}:refunds`;
}

/** The order's escrow: the only account an order's commands take money from. */
export function orderEscrowAccount(orderId: string): string {
  return `order:${part(orderId)}:escrow`;
}

/** What the merchant has been paid out (towards its bank account). */
export function merchantPayableAccount(merchantId: string): string {
  return `merchant:${part(merchantId)}:payable`;
}

/** The kind of an account named by the functions above; undefined for any other name. */
export function accountKind(account: string): AccountKind | undefined {
  if (account === PLATFORM_FEES_ACCOUNT) return 'platformFees';
  const parts = account.split(':');
  const [prefix, , suffix] = parts;
  if (parts.length === 2 && prefix === 'buyer') return 'buyerFunding';
  if (parts.length !== 3) return undefined;
  if (prefix === 'buyer' && suffix === 'refunds') return 'buyerRefunds';
  if (prefix === 'order' && suffix === 'escrow') return 'orderEscrow';
  if (prefix === 'merchant' && suffix === 'payable') return 'merchantPayable';
  return undefined;
}
