/** The per-order series that ids are numbered in. */
export type OrderIdSeries = 'debits' | 'refunds' | 'payouts' | 'reversals' | 'fees';

/**
 * The id of the `count + 1`-th item of a series in an order, e.g. `OR1/debits/3`. Derived from
 * the order alone (no clock, no randomness), so replaying the same commands gives the same
 * ids. They are unique across orders too: reading from the right, `/<series>/<n>` is fixed in
 * shape, so what is left is the order id.
 */
export function orderItemId(orderId: string, series: OrderIdSeries, count: number): string {
  return `${orderId}/${series}/${count + 1}`;
}
