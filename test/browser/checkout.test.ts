import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutPage } from '../../src/http/checkout/checkout-page.js';
import type { BitcoinInvoice } from '../../src/payments/bitcoin/invoice-types.js';
import type { RunningServer } from '../../src/http/start-server.js';
import { startServer } from '../../src/http/start-server.js';
import { launchChromium, screenshot } from './support/browser.js';

/*
 * The BitPay invoice checkout page in a real Chromium (Debian's, driven by playwright-core),
 * against the real server on a real socket: the merchant creates an invoice through the BitPay
 * API, the buyer opens its `url`, reads the amounts and the address, scans the QR code (decoded
 * here with jsqr), pays through the chain simulator, and sees the page turn to paid without a
 * reload, with the way back to the merchant.
 */

type Json = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'paydoc-checkout-'));
const API_KEY = 'pd_test_checkout-merchant-key';
const ADMIN_KEY = 'pd_test_checkout-operator-key';
const QR_SIZE = 400;

// jsqr is CommonJS with `module.exports = jsQR` but types it as `export default`: under NodeNext
// the default import is module.exports itself, which is the function.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;
const PHONE = { width: 375, height: 740 };

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startServer({
      db: join(dir, 'paydoc.db'),
      port: 0,
      apiKey: API_KEY,
      adminKey: ADMIN_KEY,
      workers: 1,
    }),
    launchChromium(),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A JSON request with the merchant's key as HTTP Basic (BitPay's way). */
async function api(
  method: string,
  path: string,
  body?: Json,
): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Json) };
}

/** The browser's API as far as the code run in the page uses it (the project has no DOM lib). */
interface PageGlobals {
  document: {
    documentElement: { scrollWidth: number };
    createElement(tag: 'canvas'): {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        fillStyle: string;
        imageSmoothingEnabled: boolean;
        fillRect(x: number, y: number, width: number, height: number): void;
        drawImage(image: object, x: number, y: number, width: number, height: number): void;
        getImageData(
          x: number,
          y: number,
          width: number,
          height: number,
        ): { data: ArrayLike<number> };
      } | null;
    };
  };
  Image: new () => { src: string; decode(): Promise<void> };
  btoa(text: string): string;
  checkoutMarker?: string;
}

/**
 * The QR code's pixels as a scanner would see them: the page's SVG drawn into a canvas at
 * QR_SIZE². Drawn in a blank page: the checkout page's CSP (rightly) refuses data: images.
 */
async function qrPixels(page: Page): Promise<Uint8ClampedArray> {
  const svg = await page.locator('[data-testid="qr"] svg').evaluate((element) => element.outerHTML);
  const blank = await page.context().newPage();
  try {
    const rgba = await blank.evaluate(
      async ({ markup, size }) => {
        const dom = globalThis as unknown as PageGlobals;
        const image = new dom.Image();
        image.src = `data:image/svg+xml;base64,${dom.btoa(markup)}`;
        await image.decode();
        const canvas = dom.document.createElement('canvas');
        canvas.width = size;
        canvas.height = size;
        const context = canvas.getContext('2d');
        if (context === null) throw new Error('no 2d canvas');
        context.fillStyle = '#fff';
        context.fillRect(0, 0, size, size);
        context.imageSmoothingEnabled = false;
        context.drawImage(image, 0, 0, size, size);
        // As base64: a 640 000-number array takes seconds to cross the devtools protocol.
        const bytes = context.getImageData(0, 0, size, size).data;
        let binary = '';
        for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] ?? 0);
        return dom.btoa(binary);
      },
      { markup: svg, size: QR_SIZE },
    );
    return new Uint8ClampedArray(Buffer.from(rgba, 'base64'));
  } finally {
    await blank.close();
  }
}

/** Satoshis of a decimal BTC text with 8 decimals ("0.00016800" → 16800). */
function satoshis(text: string): number {
  expect(text).toMatch(/^\d+\.\d{8}$/);
  return Number(text.replace('.', ''));
}

/** Satoshis as decimal BTC text with 8 decimals. */
function btc(amount: number): string {
  const digits = String(amount).padStart(9, '0');
  return `${digits.slice(0, -8)}.${digits.slice(-8)}`;
}

/** The named fields of a JSON body, as text. */
function textsOf<Keys extends string[]>(json: Json, ...keys: Keys): { [K in keyof Keys]: string } {
  return keys.map((key) => {
    expect(json[key], key).toEqual(expect.any(String));
    return String(json[key]);
  }) as { [K in keyof Keys]: string };
}

/** How wide the page's content is: more than the viewport means it scrolls sideways. */
function scrollWidth(page: Page): Promise<number> {
  return page.evaluate(
    () => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
  );
}

/** The first element of each selector has text contrast of at least 4.5:1 (WCAG AA). */
async function expectContrast(page: Page, selectors: readonly string[]): Promise<void> {
  for (const selector of selectors) {
    const { color, background } = await colours(page, selector);
    expect(
      contrast(color, background),
      `${selector}: ${color} on ${background}`,
    ).toBeGreaterThanOrEqual(4.5);
  }
}

/** WCAG's contrast ratio of two `rgb(…)`/`rgba(…)` colours. */
function contrast(foreground: string, background: string): number {
  const luminance = (color: string): number => {
    const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((part) => {
      const channel = Number(part) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return ((light ?? 0) + 0.05) / ((dark ?? 0) + 0.05);
}

/** The element's text colour and the first opaque background behind it. */
async function colours(
  page: Page,
  selector: string,
): Promise<{ color: string; background: string }> {
  return page
    .locator(selector)
    .first()
    .evaluate((element) => {
      type Styled = { parentElement: Styled | null };
      const styleOf = (node: Styled) =>
        (
          globalThis as unknown as {
            getComputedStyle(node: Styled): { color: string; backgroundColor: string };
          }
        ).getComputedStyle(node);
      const start = element as unknown as Styled;
      let node: Styled | null = start;
      let background = 'rgb(255, 255, 255)';
      while (node !== null) {
        const color = styleOf(node).backgroundColor;
        if (color !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(color)) {
          background = color;
          break;
        }
        node = node.parentElement;
      }
      return { color: styleOf(start).color, background };
    });
}

describe('the checkout page, in Chromium', () => {
  it('shows the invoice, its QR code scans to the BIP21 URI, and it turns paid without a reload', async () => {
    // 1. The merchant creates an invoice through the BitPay API.
    const created = await api('POST', '/api/invoice', {
      price: 10.5,
      currency: 'USD',
      transactionSpeed: 'medium',
      redirectURL: 'https://merchant.example/thanks',
      orderID: 'A-1',
      itemDesc: '<b>Socks</b>',
      posData: 'merchant-private-pos-data',
      notificationEmail: 'shop@merchant.example',
      buyerEmail: 'buyer@example.com',
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const [id, url, address, bitcoinUri, btcPrice] = textsOf(
      created.json,
      'id',
      'url',
      'address',
      'bitcoinUri',
      'btcPrice',
    );
    expect(bitcoinUri).toBe(`bitcoin:${address}?amount=${btcPrice}`);
    // The page is wherever this server is: the url's path, on our origin.
    const path = new URL(url).pathname;
    expect(path).toBe(`/invoices/${id}`);

    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // The browser asks for /favicon.ico by itself; the server has none (404), which is fine.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico'))
        problems.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // 2. The buyer opens the page: amount, BTC amount, address.
    const response = await page.goto(`${server.url}${path}`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-type']).toMatch(/^text\/html/);
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).not.toContain('unsafe-inline');
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('10.50 USD');
    await expect(page.getByTestId('btc-amount').textContent()).resolves.toBe(btcPrice);
    await expect(page.getByTestId('address').textContent()).resolves.toBe(address);
    await expect(page.getByTestId('status').getAttribute('data-status')).resolves.toBe('new');
    expect(await page.getByTestId('time-left').textContent()).toMatch(/^1[45]:\d\d$/);
    await expect(page.locator('[data-testid="order-id"]').textContent()).resolves.toBe('A-1');
    // The merchant's text is shown as text: no element made of it.
    await expect(page.getByTestId('item-desc').textContent()).resolves.toBe('<b>Socks</b>');
    expect(await page.locator('[data-testid="item-desc"] b').count()).toBe(0);
    // Nothing merchant-private on the buyer's page.
    const html = await page.content();
    expect(html).not.toContain('merchant-private-pos-data');
    expect(html).not.toContain('shop@merchant.example');
    // Accessible names: the code is an image named by its URI; the status is a live region.
    await expect(page.getByRole('img', { name: /QR code/ }).count()).resolves.toBe(1);
    expect(await page.getByTestId('qr').getAttribute('aria-label')).toContain(bitcoinUri);
    expect(
      await page
        .locator('[aria-live="polite"]')
        .filter({ has: page.getByTestId('status') })
        .count(),
    ).toBe(1);
    expect(await page.getByTestId('redirect').isVisible()).toBe(false);

    // 3. The QR code decodes to the BIP21 URI.
    const pixels = await qrPixels(page);
    expect(jsQR(pixels, QR_SIZE, QR_SIZE)?.data).toBe(bitcoinUri);

    // The countdown runs in the page.
    const before = await page.getByTestId('time-left').textContent();
    await expect
      .poll(() => page.getByTestId('time-left').textContent(), { timeout: 3000 })
      .not.toBe(before);
    await expectContrast(page, ['[data-testid="status"]', '.wallet', '.copy', 'dt', 'dd']);

    // At phone widths, while the code and the address are shown: nothing scrolls sideways.
    await page.setViewportSize({ width: 320, height: 640 });
    expect(await scrollWidth(page)).toBeLessThanOrEqual(320);
    await page.setViewportSize(PHONE);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, 'checkout-phone-new.png');

    // The public status endpoint: no merchant-private fields.
    const status = await fetch(`${server.url}${path}/status`);
    expect(status.status).toBe(200);
    const statusBody = (await status.json()) as Json;
    expect(statusBody).toMatchObject({ id, status: 'new', address, btcDue: btcPrice });
    expect(statusBody).not.toHaveProperty('posData');
    expect(statusBody).not.toHaveProperty('notificationEmail');
    expect(statusBody).not.toHaveProperty('buyerEmail');

    // 4. The buyer pays (the chain simulator); the page follows without a reload.
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).checkoutMarker = 'same page';
    });
    const paid = await api('POST', '/test/bitcoin/payments', { address, amount: btcPrice });
    expect(paid.status, JSON.stringify(paid.json)).toBe(200);
    expect(paid.json.txid).toEqual(expect.any(String));
    await page.locator('[data-testid="status"][data-status="paid"]').waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('status').textContent()).resolves.toBe('Paid');
    const redirect = page.getByRole('link', { name: 'Return to merchant' });
    await redirect.waitFor({ state: 'visible', timeout: 5000 });
    await expect(redirect.getAttribute('href')).resolves.toBe('https://merchant.example/thanks');
    await expect(page.getByTestId('btc-due').textContent()).resolves.toBe('0.00000000');
    await expect(page.getByTestId('btc-paid').textContent()).resolves.toBe(btcPrice);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).checkoutMarker)).toBe(
      'same page',
    );
    await expect(page.getByTestId('qr').isVisible()).resolves.toBe(false);

    // Keyboard: the way back is reachable with Tab.
    let reached = false;
    for (let presses = 0; presses < 10 && !reached; presses++) {
      await page.keyboard.press('Tab');
      reached = await redirect.evaluate(
        (element) =>
          (globalThis as unknown as { document: { activeElement: unknown } }).document
            .activeElement === element,
      );
    }
    expect(reached).toBe(true);

    await expectContrast(page, [
      'h1',
      '.order',
      '[data-testid="status"]',
      '[data-testid="status-note"]',
      '[data-testid="redirect"]',
      '.invoice-id',
    ]);

    // 5. Phone width, paid.
    await screenshot(page, 'checkout-phone.png');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // The page did it all under its CSP, without a script error.
    expect(problems).toEqual([]);
    await context.close();
  });

  it('after a partial payment, shows what is still due and a code asking for just that', async () => {
    const created = await api('POST', '/api/invoice', { price: 20, currency: 'USD' });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const [id, address, btcPrice] = textsOf(created.json, 'id', 'address', 'btcPrice');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/invoices/${id}`);
    const price = satoshis(btcPrice);
    const part = Math.floor(price / 2);
    const due = btc(price - part);
    const paid = await api('POST', '/test/bitcoin/payments', { address, amount: btc(part) });
    expect(paid.status, JSON.stringify(paid.json)).toBe(200);
    await page
      .locator(`[data-testid="qr"][aria-label$="amount=${due}"]`)
      .waitFor({ state: 'attached', timeout: 10_000 });
    await expect(page.getByTestId('btc-due').textContent()).resolves.toBe(due);
    await expect(page.getByTestId('status').getAttribute('data-status')).resolves.toBe('new');
    await expect(page.getByTestId('status').textContent()).resolves.toBe('Partly paid');
    const pixels = await qrPixels(page);
    expect(jsQR(pixels, QR_SIZE, QR_SIZE)?.data).toBe(`bitcoin:${address}?amount=${due}`);
    await expect(page.getByTestId('wallet-link').getAttribute('href')).resolves.toBe(
      `bitcoin:${address}?amount=${due}`,
    );
    await context.close();
  });

  it('renders hostile merchant text inert and links back only to http(s)', async () => {
    const hostile: BitcoinInvoice = {
      invoiceId: 'inv_hostile',
      url: 'https://paydoc.test/invoices/inv_hostile',
      price: 1050,
      currency: 'USD',
      rate: 6_250_000,
      btcPrice: 16_800,
      btcPaid: 16_800,
      btcDue: 0,
      status: 'paid',
      exceptionStatus: 'false',
      transactionSpeed: 'medium',
      fullNotifications: false,
      orderID: '"><img src=x onerror=alert(1)>',
      details: {
        itemDesc: '<script>alert(1)</script>',
        redirectURL: 'javascript:alert(1)',
      },
      address: 'bc1qexampleaddress',
      invoiceTime: 0,
      expirationTime: 900_000,
      currentTime: 1_000,
      confirmations: 0,
      transactions: [],
    };
    const html = await checkoutPage(hostile, { now: 1_000, nonce: 'n0nce' });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('data-testid="redirect"');
    // No script at all without a script path, and the one style element carries the nonce.
    expect(html).not.toContain('<script');
    expect(html).toContain('<style nonce="n0nce">');
  });

  it('serves its script as a cacheable bundle', async () => {
    const response = await fetch(`${server.url}/invoices/checkout.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect((await response.text()).length).toBeGreaterThan(500);
  });

  it('answers an unknown invoice with a 404 page', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/invoices/inv_nope`);
    expect(response?.status()).toBe(404);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Invoice not found');
    await page.close();
    const status = await fetch(`${server.url}/invoices/inv_nope/status`);
    expect(status.status).toBe(404);
  });
});
