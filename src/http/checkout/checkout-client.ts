/*
 * The checkout page's script, bundled for the browser by esbuild the first time it is asked
 * for (see checkout-routes.ts). The page is complete without it; this only keeps it current:
 * it polls the public status endpoint, counts the time left down between polls, and shows the
 * way back to the merchant once paid. It reads everything it needs from the page (data
 * attributes the server wrote), so there is no inline script for the CSP to allow.
 */

/*
 * The browser's API, as far as this script uses it, typed here and for this module only: the
 * project compiles as one program for Node, and `/// <reference lib="dom" />` would give all of
 * it the DOM's globals, whose fetch types differ from Node's (test code stops compiling).
 */
interface PageElement {
  textContent: string | null;
  hidden: boolean;
  readonly dataset: Record<string, string | undefined>;
  replaceWith(node: PageElement): void;
  addEventListener(type: 'click', listener: () => void): void;
}

interface PageDocument {
  querySelector(selectors: string): PageElement | null;
  querySelectorAll(selectors: string): ArrayLike<PageElement>;
  importNode(node: PageElement, deep: boolean): PageElement;
}

interface BrowserWindow {
  document: PageDocument;
  location: { pathname: string };
  navigator: { clipboard?: { writeText(text: string): Promise<void> } };
  DOMParser: new () => { parseFromString(text: string, type: 'text/html'): PageDocument };
  setTimeout(handler: () => void, ms: number): number;
  setInterval(handler: () => void, ms: number): number;
  clearInterval(id: number): void;
  fetch(
    url: string,
    init: { cache: 'no-store'; headers?: Record<string, string> },
  ): Promise<{
    ok: boolean;
    status: number;
    json(): Promise<unknown>;
    text(): Promise<string>;
  }>;
}

const browser = globalThis as unknown as BrowserWindow;
const { document } = browser;

/** The part of the status endpoint's body the page shows. */
interface InvoiceState {
  status: string;
  /** `false` as the text 'false', as the page writes it. */
  exceptionStatus: string;
  btcPaid: string;
  btcDue: string;
  expirationTime: number;
  currentTime: number;
  bitcoinUri: string;
}

type Labels = Record<string, { label: string; note: string }>;

const POLL_MS = 1000;
/** After a failed poll, wait longer each time (up to this), so a down server is not hammered. */
const MAX_BACKOFF_MS = 15_000;
const FINAL = ['complete', 'expired', 'invalid'];
const PAID = ['paid', 'confirmed', 'complete'];

/** The payment request the QR code on the page holds, and whether a newer one is being fetched. */
const code = { uri: '', fetching: false };

start();

function start(): void {
  const root = document.querySelector('[data-checkout]');
  if (root === null) return;
  const statusUrl = root.dataset.statusUrl ?? '';
  const labels = parseLabels(root.dataset.labels);
  let state: InvoiceState = {
    status: root.dataset.status ?? 'new',
    exceptionStatus: root.dataset.exceptionStatus ?? 'false',
    btcPaid: text('btc-paid'),
    btcDue: text('btc-due'),
    expirationTime: Number(root.dataset.expirationTime),
    currentTime: Number(root.dataset.currentTime),
    bitcoinUri: root.dataset.bitcoinUri ?? '',
  };
  code.uri = state.bitcoinUri;
  // The buyer's clock may be wrong: count down on the server's time, kept as an offset.
  let skew = state.currentTime - Date.now();
  let failures = 0;

  const countdown = browser.setInterval(() => {
    if (state.status !== 'new') return;
    setText('time-left', timeLeft(state.expirationTime, Date.now() + skew));
  }, 1000);

  const poll = async (): Promise<void> => {
    try {
      const response = await browser.fetch(statusUrl, {
        cache: 'no-store',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      const next = stateOf(await response.json());
      if (next === undefined) throw new Error('unexpected status body');
      failures = 0;
      skew = next.currentTime - Date.now();
      const previous = state;
      state = next;
      render(previous, next, labels);
    } catch {
      failures += 1;
    }
    if (FINAL.includes(state.status)) {
      browser.clearInterval(countdown);
      return;
    }
    const delay = failures === 0 ? POLL_MS : Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** failures);
    browser.setTimeout(() => void poll(), delay);
  };
  if (!FINAL.includes(state.status)) browser.setTimeout(() => void poll(), POLL_MS);
  setUpCopy();
}

/** Updates what changed from `previous` to `next`. */
function render(previous: InvoiceState, next: InvoiceState, labels: Labels): void {
  setText('btc-paid', next.btcPaid);
  setText('btc-due', next.btcDue);
  setText('time-left', timeLeft(next.expirationTime, next.currentTime));
  if (next.status !== previous.status || next.exceptionStatus !== previous.exceptionStatus) {
    // As the server's statusWords (checkout-page.ts) looks them up.
    const words = labels[`${next.status} ${next.exceptionStatus}`] ??
      labels[next.status] ?? { label: next.status, note: '' };
    const badge = byTestId('status');
    if (badge !== null) {
      badge.textContent = words.label;
      badge.dataset.status = next.status;
    }
    setText('status-note', words.note);
    for (const element of Array.from(document.querySelectorAll('[data-show-when-new]')))
      element.hidden = next.status !== 'new';
    for (const element of Array.from(document.querySelectorAll('[data-show-when-paid]')))
      element.hidden = !PAID.includes(next.status);
  }
  // A partial payment changes the amount due, and with it the payment request: a code still
  // asking for the full price would make the buyer pay too much.
  if (next.status === 'new' && next.bitcoinUri !== code.uri && !code.fetching) void refreshCode();
}

/**
 * Replaces the QR code and the wallet link with those of the page as the server renders it now
 * (the code is drawn on the server: the script carries no QR library). On failure the code
 * stays stale, and the next poll tries again.
 */
async function refreshCode(): Promise<void> {
  code.fetching = true;
  try {
    const response = await browser.fetch(browser.location.pathname, { cache: 'no-store' });
    if (!response.ok) return;
    const fresh = new browser.DOMParser().parseFromString(await response.text(), 'text/html');
    const uri = fresh.querySelector('[data-checkout]')?.dataset.bitcoinUri;
    for (const id of ['qr', 'wallet-link']) {
      const now = byTestId(id);
      const then = fresh.querySelector(`[data-testid="${id}"]`);
      if (now !== null && then !== null) now.replaceWith(document.importNode(then, true));
    }
    if (uri !== undefined) code.uri = uri;
  } catch {
    // Left for the next poll (see above).
  } finally {
    code.fetching = false;
  }
}

/** The copy button, shown only where the browser lets a page write the clipboard. */
function setUpCopy(): void {
  const button = document.querySelector('[data-copy]');
  const said = document.querySelector('[data-copied]');
  const address = text('address');
  const { clipboard } = browser.navigator;
  if (button === null || clipboard === undefined) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    clipboard.writeText(address).then(
      () => {
        if (said !== null) said.textContent = 'Copied';
        browser.setTimeout(() => {
          if (said !== null) said.textContent = '';
        }, 3000);
      },
      () => {
        if (said !== null) said.textContent = 'Copy failed: select the address instead';
      },
    );
  });
}

/** The status body's fields the page uses, or undefined when it is not such a body. */
function stateOf(body: unknown): InvoiceState | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const fields = body as Record<string, unknown>;
  const { status, exceptionStatus, btcPaid, btcDue, expirationTime, currentTime, bitcoinUri } =
    fields;
  if (
    typeof status !== 'string' ||
    (exceptionStatus !== false && typeof exceptionStatus !== 'string') ||
    typeof btcPaid !== 'string' ||
    typeof btcDue !== 'string' ||
    typeof expirationTime !== 'number' ||
    typeof currentTime !== 'number' ||
    typeof bitcoinUri !== 'string'
  )
    return undefined;
  return {
    status,
    exceptionStatus: exceptionStatus === false ? 'false' : exceptionStatus,
    btcPaid,
    btcDue,
    expirationTime,
    currentTime,
    bitcoinUri,
  };
}

function parseLabels(json: string | undefined): Labels {
  try {
    const parsed: unknown = JSON.parse(json ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Labels) : {};
  } catch {
    return {};
  }
}

// The same arithmetic as the server's timeLeft (checkout-page.ts), repeated because the bundle
// must not pull in the server module (and the QR library it imports).
function timeLeft(expirationTime: number, now: number): string {
  const seconds = Math.max(0, Math.ceil((expirationTime - now) / 1000));
  const mm = String(Math.floor(seconds / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  return `${mm}:${ss}`;
}

function byTestId(id: string): PageElement | null {
  return document.querySelector(`[data-testid="${id}"]`);
}

function text(id: string): string {
  return byTestId(id)?.textContent ?? '';
}

function setText(id: string, value: string): void {
  const element = byTestId(id);
  if (element !== null && element.textContent !== value) element.textContent = value;
}

export {};
