import QRCode from 'qrcode';
import { formatMinor } from '../../payments/money/money.js';
import { isCurrencyCode } from '../../payments/money/currency.js';
import { bip21Uri } from '../../payments/bitcoin/invoice-json.js';
import type { BitcoinInvoice, InvoiceStatus } from '../../payments/bitcoin/invoice-types.js';

/** A status as the buyer reads it: a short label (the badge) and a sentence saying what to do. */
export interface StatusWords {
  label: string;
  note: string;
}

/**
 * The words for each status, and for a status with an exception (`"new paidPartial"`) where
 * the buyer must do something else. The page hands the table to its script (a data attribute),
 * so the page as rendered and as updated never disagree.
 */
export const STATUS_TEXT: Readonly<
  Record<InvoiceStatus | `${InvoiceStatus} ${string}`, StatusWords>
> = {
  new: {
    label: 'Awaiting payment',
    note: 'Send the amount in BTC to the address below before the time runs out.',
  },
  'new paidPartial': {
    label: 'Partly paid',
    note: 'Part of the amount arrived. Send the rest (Due, below) before the time runs out.',
  },
  paid: {
    label: 'Paid',
    note: 'Payment received. It is being confirmed by the bitcoin network.',
  },
  confirmed: { label: 'Confirmed', note: 'Payment received and confirmed.' },
  complete: { label: 'Complete', note: 'Payment received and complete.' },
  expired: {
    label: 'Expired',
    note: 'This invoice expired before it was paid in full. Do not send a payment to it.',
  },
  'expired paidPartial': {
    label: 'Expired',
    note: 'This invoice expired before it was paid in full. Contact the merchant about the part you paid; do not send more.',
  },
  invalid: {
    label: 'Invalid',
    note: 'The payment was not confirmed in time. Please contact the merchant.',
  },
};

/** The words for a status and exception (`false` or its name), as the script looks them up. */
export function statusWords(status: InvoiceStatus, exceptionStatus: string | false): StatusWords {
  const key = `${status} ${exceptionStatus === false ? 'false' : exceptionStatus}` as const;
  return (Object.hasOwn(STATUS_TEXT, key) ? STATUS_TEXT[key] : undefined) ?? STATUS_TEXT[status];
}

/** Statuses in which the buyer has paid: the way back to the merchant is shown. */
export const PAID_STATUSES: readonly InvoiceStatus[] = ['paid', 'confirmed', 'complete'];

/** What a rendering needs besides the invoice. */
export interface PageOptions {
  /** The time the page is rendered at (ms since the epoch): the countdown starts from it. */
  now: number;
  /** The CSP nonce of this response's one `<style>` element. */
  nonce: string;
  /** Where the page's script is served (with a version, so it may be cached for good). */
  scriptPath?: string;
}

/**
 * The checkout page of an invoice, rendered whole on the server so that it is right before
 * (and without) any script: every value is escaped, because the invoice's display fields are
 * the merchant's text. The script only updates what changes (status, amounts, time left).
 */
export async function checkoutPage(invoice: BitcoinInvoice, options: PageOptions): Promise<string> {
  const uri = bip21Uri(invoice);
  const qr = await qrSvg(uri);
  const status = statusWords(invoice.status, invoice.exceptionStatus);
  const isNew = invoice.status === 'new';
  const paid = PAID_STATUSES.includes(invoice.status);
  const amount = amountText(invoice);
  const details = invoice.details ?? {};
  const redirect = safeHttpUrl(details.redirectURL);
  const btc = (satoshis: number) => formatMinor(satoshis, 'BTC');
  const statusPath = `/invoices/${encodeURIComponent(invoice.invoiceId)}/status`;
  const hiddenUnlessNew = isNew ? '' : ' hidden';
  const order =
    invoice.orderID === undefined
      ? ''
      : `<p class="order">Order <span data-testid="order-id">${escapeHtml(invoice.orderID)}</span></p>`;
  const item =
    details.itemDesc === undefined
      ? ''
      : `<p class="item" data-testid="item-desc">${escapeHtml(details.itemDesc)}</p>`;
  const back =
    redirect === undefined
      ? ''
      : `<p class="back" data-show-when-paid${paid ? '' : ' hidden'}><a data-testid="redirect" href="${escapeHtml(redirect)}">Return to merchant</a></p>`;
  const body = `<main class="checkout" data-checkout data-status-url="${escapeHtml(statusPath)}" data-status="${escapeHtml(invoice.status)}" data-exception-status="${escapeHtml(invoice.exceptionStatus)}" data-expiration-time="${invoice.expirationTime}" data-current-time="${options.now}" data-bitcoin-uri="${escapeHtml(uri)}" data-labels="${escapeHtml(JSON.stringify(STATUS_TEXT))}">
<h1>Pay ${escapeHtml(amount)}</h1>
${order}
${item}
<section class="status" aria-labelledby="status-heading">
<h2 id="status-heading" class="visually-hidden">Payment status</h2>
<div aria-live="polite" aria-atomic="true">
<p class="status-line">Status: <strong class="badge" data-testid="status" data-status="${escapeHtml(invoice.status)}">${escapeHtml(status.label)}</strong></p>
<p class="note" data-testid="status-note">${escapeHtml(status.note)}</p>
</div>
${back}
</section>
<dl class="facts">
<div><dt>Amount</dt><dd data-testid="amount">${escapeHtml(amount)}</dd></div>
<div><dt>Amount in BTC</dt><dd><span data-testid="btc-amount">${btc(invoice.btcPrice)}</span> BTC</dd></div>
<div><dt>Paid</dt><dd><span data-testid="btc-paid">${btc(invoice.btcPaid)}</span> BTC</dd></div>
<div><dt>Due</dt><dd><span data-testid="btc-due">${btc(invoice.btcDue)}</span> BTC</dd></div>
<div data-show-when-new${hiddenUnlessNew}><dt id="time-left-label">Time left</dt><dd><span role="timer" aria-labelledby="time-left-label" data-testid="time-left">${timeLeft(invoice.expirationTime, options.now)}</span></dd></div>
<div class="address-row"><dt id="address-label">Bitcoin address</dt><dd><code class="address" data-testid="address">${escapeHtml(invoice.address)}</code>
<button type="button" class="copy" data-copy aria-describedby="address-label" hidden>Copy address</button> <span class="copied" data-copied aria-live="polite"></span></dd></div>
</dl>
<section class="pay" aria-labelledby="pay-heading" data-show-when-new${hiddenUnlessNew}>
<h2 id="pay-heading">Scan to pay</h2>
<div class="qr" role="img" aria-label="${escapeHtml(`QR code of the payment request ${uri}`)}" data-testid="qr">${qr}</div>
<p><a class="wallet" data-testid="wallet-link" href="${escapeHtml(uri)}">Open in a wallet app</a></p>
</section>
<noscript><p class="note">This page updates itself with JavaScript. Without it, reload the page to see the latest status.</p></noscript>
<p class="invoice-id">Invoice <code>${escapeHtml(invoice.invoiceId)}</code></p>
</main>`;
  return shell(`Pay ${amount}`, body, options.nonce, options.scriptPath);
}

/** The page for an invoice id that does not exist (served with 404). */
export function notFoundPage(nonce: string): string {
  return shell(
    'Invoice not found',
    `<main class="checkout"><h1>Invoice not found</h1><p class="note">There is no invoice at this address. Check the link the merchant gave you.</p></main>`,
    nonce,
  );
}

/**
 * The page's Content-Security-Policy: scripts only from this origin (no inline script at all),
 * styles only from the nonce'd element, requests only back to this origin. Inline SVG needs
 * nothing: it is markup, not a resource.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'nonce-${nonce}'`,
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Minutes and seconds from `now` until `expirationTime`, never below 00:00. */
export function timeLeft(expirationTime: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((expirationTime - now) / 1000));
  const mm = String(Math.floor(seconds / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return `${mm}:${ss}`;
}

/** `10.50 USD`: the exact decimal text of the price in its currency. */
export function amountText(invoice: BitcoinInvoice): string {
  const major = isCurrencyCode(invoice.currency)
    ? formatMinor(invoice.price, invoice.currency)
    : String(invoice.price);
  return `${major} ${invoice.currency}`;
}

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The QR code of the URI as SVG markup, hidden from assistive technology (its box has the label). */
async function qrSvg(uri: string): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return svg.replace(/^\s*<svg /, '<svg aria-hidden="true" focusable="false" ');
}

/**
 * The merchant's redirect URL if it is an http(s) URL; anything else (`javascript:`, `data:`)
 * would run or show something on the buyer's side of this page, so it is not linked.
 */
function safeHttpUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function shell(title: string, body: string, nonce: string, scriptPath?: string): string {
  const script =
    scriptPath === undefined ? '' : `\n<script src="${escapeHtml(scriptPath)}" defer></script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style nonce="${escapeHtml(nonce)}">${STYLE}</style>${script}
</head>
<body>
${body}
</body>
</html>
`;
}

// Colours are chosen for contrast of at least 4.5:1 (WCAG AA) on their backgrounds; layout is
// one column that fits a 320 px screen, and long addresses wrap instead of scrolling.
const STYLE = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5;color:#1b1f24;background:#f3f4f6}
.checkout{max-width:32rem;margin:0 auto;padding:1.25rem 1rem 2rem;background:#fff;min-height:100vh}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.125rem;margin:1.25rem 0 .5rem}
.order,.item,.invoice-id{margin:.25rem 0;color:#3d4451}
.invoice-id{margin-top:1.5rem;font-size:.875rem;overflow-wrap:anywhere}
.status{border:1px solid #d0d5dd;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
.status-line,.note{margin:.25rem 0}
.badge{display:inline-block;padding:.125rem .5rem;border-radius:.25rem;background:#fff3cd;color:#5c4300}
.badge[data-status="paid"],.badge[data-status="confirmed"],.badge[data-status="complete"]{background:#d1e7dd;color:#0a3622}
.badge[data-status="expired"],.badge[data-status="invalid"]{background:#f8d7da;color:#58151c}
.facts{margin:0}
.facts>div{display:flex;flex-wrap:wrap;gap:0 1rem;justify-content:space-between;padding:.5rem 0;border-bottom:1px solid #e4e7ec}
.facts dt{font-weight:600}
.facts dd{margin:0;min-width:0;max-width:100%;overflow-wrap:anywhere;text-align:right}
.facts>.address-row dd{flex-basis:100%;text-align:left}
.address{display:block;margin:.25rem 0 .5rem;font-size:.95rem;overflow-wrap:anywhere;word-break:break-all;user-select:all}
.copied{font-size:.875rem;color:#0a3622}
.pay{text-align:center}
.qr{display:block;width:100%;max-width:18rem;margin:0 auto}
.qr svg{display:block;width:100%;height:auto}
a{color:#0b4f8a}
button{font:inherit;padding:.25rem .75rem;border:1px solid #0b4f8a;border-radius:.25rem;background:#fff;color:#0b4f8a;cursor:pointer;min-height:2.75rem}
.wallet,.back a{display:inline-block;padding:.625rem 1rem;border-radius:.375rem;background:#0b4f8a;color:#fff;text-decoration:none;font-weight:600}
a:focus-visible,button:focus-visible{outline:3px solid #1d6fd1;outline-offset:2px}
[hidden]{display:none !important}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`;
