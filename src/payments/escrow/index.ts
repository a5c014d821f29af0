export {
  accountKind,
  buyerFundingAccount,
  buyerRefundsAccount,
  merchantPayableAccount,
  orderEscrowAccount,
  PLATFORM_FEES_ACCOUNT,
} from './account-ids.js';
export type { AccountKind } from './account-ids.js';
export { createOrder } from './create-order.js';
export { debit } from './debit.js';
export type {
  CreateOrderCommand,
  DebitCommand,
  EscrowCommand,
  EscrowCommandKind,
  OrderCommandBase,
  PayoutCommand,
  PayPlatformFeeCommand,
  RefundDebitCommand,
  ReversePayoutCommand,
} from './escrow-commands.js';
export { ESCROW_ERRORS } from './escrow-error.js';
export type { EscrowErrorCode, EscrowRefusal } from './escrow-error.js';
export type { EscrowResult } from './escrow-result.js';
export { EMPTY_ESCROW_STATE, findOrder } from './escrow-state.js';
export type { EscrowState } from './escrow-state.js';
export { executeEscrowCommand } from './execute-escrow-command.js';
export { balanceOf, EMPTY_LEDGER, postTransaction, transfer, trialBalance } from './ledger.js';
export type {
  Ledger,
  LedgerErrorCode,
  LedgerResult,
  LedgerTransaction,
  Posting,
} from './ledger.js';
export { orderAmountsFromLedger } from './ledger-order-amounts.js';
export type {
  Order,
  OrderDebit,
  OrderPayout,
  OrderPayoutReversal,
  OrderPlatformFee,
  OrderRefund,
} from './order.js';
export { ORDER_EVENT_TYPES } from './order-events.js';
export type {
  OrderDebited,
  OrderDebitRefunded,
  OrderEvent,
  OrderPaidOut,
  OrderPayoutReversed,
  OrderPlatformFeePaid,
} from './order-events.js';
export { payPlatformFee } from './pay-platform-fee.js';
export { payout } from './payout.js';
export { projectOrder } from './project-order.js';
export type { OrderAmounts, OrderDocumentFields } from './project-order.js';
export { refundDebit } from './refund-debit.js';
export { reversePayout } from './reverse-payout.js';
export { orderItemId } from './transaction-ids.js';
export type { OrderIdSeries } from './transaction-ids.js';
