import { describe, expect, it } from 'vitest';
import type { ResolveAll } from '../../src/outbox/url-safety.js';
import {
  MAX_WEBHOOK_URL_LENGTH,
  checkWebhookUrl,
  resolveSafeAddress,
} from '../../src/outbox/url-safety.js';

const STRICT = { allowPrivate: false };
const LENIENT = { allowPrivate: true };

/** A resolver that answers `addresses` for every name (and records what it was asked). */
function answering(...addresses: string[]): ResolveAll & { asked: string[] } {
  const asked: string[] = [];
  const lookup = (hostname: string): Promise<{ address: string; family: number }[]> => {
    asked.push(hostname);
    return Promise.resolve(
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  return Object.assign(lookup, { asked });
}

const unreachable: ResolveAll = () => Promise.reject(new Error('no resolution expected'));

function codeOf(outcome: { ok: boolean; error?: { code: string } }): string | null {
  return outcome.ok ? null : (outcome.error?.code ?? null);
}

describe('checkWebhookUrl', () => {
  it('accepts an absolute https URL and says where to connect', () => {
    const outcome = checkWebhookUrl('https://hooks.example.com/paydoc?x=1', STRICT);
    expect(outcome).toEqual({
      ok: true,
      value: {
        href: 'https://hooks.example.com/paydoc?x=1',
        protocol: 'https:',
        hostname: 'hooks.example.com',
        port: 443,
      },
    });
    const withPort = checkWebhookUrl('https://HOOKS.example.com:8443/', STRICT);
    expect(withPort.ok && withPort.value).toMatchObject({
      hostname: 'hooks.example.com',
      port: 8443,
    });
  });

  it('refuses http without allowPrivate', () => {
    const outcome = checkWebhookUrl('http://hooks.example.com/', STRICT);
    expect(codeOf(outcome)).toBe('webhook_url_invalid');
    expect(outcome.ok || outcome.error.message).toMatch(/https/);
  });

  it('refuses other schemes, relative and malformed URLs', () => {
    for (const url of [
      'ftp://hooks.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/plain,hi',
      '/relative/path',
      'hooks.example.com/path',
      'https://',
      '',
      'https://exa mple.com/',
    ])
      expect(codeOf(checkWebhookUrl(url, LENIENT)), url).toBe('webhook_url_invalid');
  });

  it('refuses credentials in the URL', () => {
    for (const url of [
      'https://user:secret@hooks.example.com/',
      'https://user@hooks.example.com/',
      'https://:secret@hooks.example.com/',
      'https://trusted.example.com@evil.example/',
    ])
      expect(codeOf(checkWebhookUrl(url, STRICT)), url).toBe('webhook_url_invalid');
  });

  it('refuses a URL longer than 2048 characters, takes one of exactly 2048', () => {
    const base = 'https://hooks.example.com/';
    const exact = base + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - base.length);
    expect(checkWebhookUrl(exact, STRICT).ok).toBe(true);
    expect(codeOf(checkWebhookUrl(`${exact}a`, STRICT))).toBe('webhook_url_invalid');
  });

  it('refuses white space and control characters the parser would drop', () => {
    for (const url of [
      ' https://hooks.example.com/',
      'https://hooks.example.com/\n',
      'https://hooks.example.com/a\tb',
      'https://hooks.example.com/\u0000',
    ])
      expect(codeOf(checkWebhookUrl(url, STRICT)), JSON.stringify(url)).toBe('webhook_url_invalid');
  });

  it('refuses literal non-public IPs, in any spelling the URL parser normalises', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://127.1.2.3:8443/hook',
      'https://[::1]/',
      'https://10.1.2.3/',
      'https://172.16.0.1/',
      'https://172.31.255.255/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://[::ffff:a01:203]/',
      'https://0.0.0.0/',
      'https://[::]/',
      'https://100.64.0.1/',
      'https://224.0.0.1/',
      'https://255.255.255.255/',
      'https://[fc00::1]/',
      'https://[fd12:3456::1]/',
      'https://[fe80::1]/',
      'https://[ff02::1]/',
      'https://2130706433/', // 127.0.0.1 as one number
      'https://0x7f.1/', // 127.0.0.1 in hex, short
      'https://017700000001/', // 127.0.0.1 in octal
    ])
      expect(codeOf(checkWebhookUrl(url, STRICT)), url).toBe('webhook_url_refused');
  });

  it('accepts a literal public IP', () => {
    expect(checkWebhookUrl('https://93.184.216.34/hook', STRICT).ok).toBe(true);
    expect(checkWebhookUrl('https://[2606:2800:220:1:248:1893:25c8:1946]/', STRICT).ok).toBe(true);
    // 172.15/172.32 are just outside 172.16/12.
    expect(checkWebhookUrl('https://172.15.0.1/', STRICT).ok).toBe(true);
    expect(checkWebhookUrl('https://172.32.0.1/', STRICT).ok).toBe(true);
  });

  it('lets loopback and http through with allowPrivate', () => {
    const outcome = checkWebhookUrl('http://127.0.0.1:3000/hook', LENIENT);
    expect(outcome).toEqual({
      ok: true,
      value: {
        href: 'http://127.0.0.1:3000/hook',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 3000,
      },
    });
    expect(checkWebhookUrl('http://localhost/', LENIENT).ok).toBe(true);
    expect(checkWebhookUrl('https://[::1]:8443/', LENIENT).ok).toBe(true);
  });
});

describe('resolveSafeAddress', () => {
  it('refuses loopback, private, link-local, unspecified, CGNAT, multicast and mapped addresses', async () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      'fe80::1',
      'fc00::1',
      'fdff::1',
      '0.0.0.0',
      '::',
      '100.64.0.1',
      '100.127.255.254',
      '239.1.2.3',
      'ff05::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '::ffff:192.168.0.1',
      // NAT64 and 6to4 forms of 10.0.0.5 and 169.254.169.254.
      '64:ff9b::a00:5',
      '64:ff9b::a9fe:a9fe',
      '2002:a00:5::1',
    ]) {
      const outcome = await resolveSafeAddress('hooks.example.com', STRICT, answering(address));
      expect(codeOf(outcome), address).toBe('webhook_url_refused');
      // The name's address is not repeated back (it would map the server's network).
      expect(outcome.ok || outcome.error.message, address).not.toContain(address);
      expect(codeOf(await resolveSafeAddress(address, STRICT, unreachable)), address).toBe(
        'webhook_url_refused',
      );
    }
  });

  it('refuses a literal IP host without resolving it, brackets or not', async () => {
    for (const host of ['127.0.0.1', '[::1]', '::1', '::ffff:127.0.0.1', '[::ffff:7f00:1]'])
      expect(codeOf(await resolveSafeAddress(host, STRICT, unreachable)), host).toBe(
        'webhook_url_refused',
      );
  });

  it('refuses a name that resolves to 127.0.0.1', async () => {
    const lookup = answering('127.0.0.1');
    const outcome = await resolveSafeAddress('rebind.example.com', STRICT, lookup);
    expect(outcome).toEqual({
      ok: false,
      error: {
        code: 'webhook_url_refused',
        // The address is not told: the message reaches the caller and the delivery log.
        message: 'rebind.example.com resolves to an address that is not public (loopback)',
      },
    });
    expect(lookup.asked).toEqual(['rebind.example.com']);
  });

  it('refuses localhost with the real resolver', async () => {
    const outcome = await resolveSafeAddress('localhost', STRICT);
    expect(codeOf(outcome)).toBe('webhook_url_refused');
  });

  it('refuses a name with one public and one private address, in either order', async () => {
    for (const addresses of [
      ['93.184.216.34', '10.0.0.7'],
      ['10.0.0.7', '93.184.216.34'],
      ['2606:2800:220:1:248:1893:25c8:1946', '::1'],
    ])
      expect(
        codeOf(await resolveSafeAddress('hooks.example.com', STRICT, answering(...addresses))),
      ).toBe('webhook_url_refused');
  });

  it('accepts a public address and returns the one to connect to', async () => {
    expect(
      await resolveSafeAddress('hooks.example.com', STRICT, answering('93.184.216.34')),
    ).toEqual({ ok: true, value: { address: '93.184.216.34', family: 4 } });
    expect(
      await resolveSafeAddress(
        'hooks.example.com',
        STRICT,
        answering('2606:2800:220:1:248:1893:25c8:1946', '93.184.216.34'),
      ),
    ).toEqual({ ok: true, value: { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 } });
    expect(await resolveSafeAddress('93.184.216.34', STRICT, unreachable)).toEqual({
      ok: true,
      value: { address: '93.184.216.34', family: 4 },
    });
  });

  it('lets loopback through with allowPrivate', async () => {
    expect(await resolveSafeAddress('localhost', LENIENT, answering('127.0.0.1'))).toEqual({
      ok: true,
      value: { address: '127.0.0.1', family: 4 },
    });
    expect(await resolveSafeAddress('[::1]', LENIENT, unreachable)).toEqual({
      ok: true,
      value: { address: '::1', family: 6 },
    });
    const real = await resolveSafeAddress('localhost', LENIENT);
    expect(real.ok).toBe(true);
  });

  it('is webhook_dns_failed when the name does not resolve or has no address', async () => {
    const failing: ResolveAll = () =>
      Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    const outcome = await resolveSafeAddress('nowhere.invalid', STRICT, failing);
    expect(outcome).toEqual({
      ok: false,
      error: {
        code: 'webhook_dns_failed',
        message: 'nowhere.invalid does not resolve (ENOTFOUND)',
      },
    });
    expect(codeOf(await resolveSafeAddress('empty.example.com', STRICT, answering()))).toBe(
      'webhook_dns_failed',
    );
  });

  it('refuses a resolver answer that is not an IP', async () => {
    expect(
      codeOf(await resolveSafeAddress('odd.example.com', STRICT, answering('not-an-ip'))),
    ).toBe('webhook_url_refused');
  });
});
