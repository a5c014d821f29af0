import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Outcome } from '../engine/outcome.js';
import { failure } from '../engine/outcome.js';

/**
 * The SSRF guard of webhook delivery: a webhook URL is chosen by a customer, and the server
 * that calls it sits inside our network, so a URL must not reach anything but the public
 * internet (no loopback admin port, no database on 10.x, no cloud metadata at
 * 169.254.169.254). The check is in two steps: the URL's syntax ({@link checkWebhookUrl}),
 * then, at every connection, the addresses its host resolves to
 * ({@link resolveSafeAddress}); the connection then goes to the address that was checked,
 * never to a second resolution, which an attacker's DNS could answer differently (rebinding).
 */

/** What the guard lets through. */
export interface UrlSafetyOptions {
  /**
   * Lets loopback, private and other non-public addresses through, and http beside https:
   * for a development server or tests delivering to 127.0.0.1. Never in production.
   */
  allowPrivate: boolean;
}

/** A URL that passed {@link checkWebhookUrl}. */
export interface CheckedWebhookUrl {
  /** The URL as parsed (normalised: `http://0x7f.1/` is `http://127.0.0.1/`). */
  href: string;
  protocol: 'https:' | 'http:';
  /** The host to resolve, as the URL parser normalised it; an IPv6 literal without brackets. */
  hostname: string;
  /** The port to connect to (443 or 80 when the URL names none). */
  port: number;
}

/** An address that {@link resolveSafeAddress} checked: the one to connect to. */
export interface SafeAddress {
  address: string;
  family: 4 | 6;
}

/** One answer of a resolver, as node:dns/promises `lookup(name, { all: true })` gives them. */
export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all of its addresses (injectable so that tests need no network). */
export type ResolveAll = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The longest URL accepted, as browsers and most proxies cap theirs. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const systemResolver: ResolveAll = (hostname) => dnsLookup(hostname, { all: true });

/**
 * Checks a webhook URL's syntax: absolute, `https:` (or `http:` too when `allowPrivate`),
 * no user name or password (they would be sent to the receiver in every request, and
 * `https://trusted@evil` misleads a reader), a host, at most 2048 characters, no white space or
 * control characters (which the URL parser would silently drop). A literal IP host is also
 * checked against the blocked ranges here; a name is checked by {@link resolveSafeAddress}.
 */
export function checkWebhookUrl(
  url: string,
  options: UrlSafetyOptions,
): Outcome<CheckedWebhookUrl> {
  if (url.length > MAX_WEBHOOK_URL_LENGTH)
    return invalid(`a webhook URL has at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(url))
    return invalid('a webhook URL holds no white space or control characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('a webhook URL is an absolute URL (https://host/path)');
  }
  const { protocol } = parsed;
  if (protocol !== 'https:' && !(protocol === 'http:' && options.allowPrivate))
    return invalid(
      options.allowPrivate
        ? 'a webhook URL is https or http'
        : `a webhook URL is https, not ${protocol.slice(0, -1)}`,
    );
  if (parsed.username !== '' || parsed.password !== '')
    return invalid('a webhook URL holds no user name or password');
  const hostname = unbracket(parsed.hostname);
  if (hostname === '') return invalid('a webhook URL names a host');
  if (isIP(hostname) !== 0) {
    const refused = refusal(hostname, options);
    if (refused !== null) return refused;
  }
  return {
    ok: true,
    value: {
      href: parsed.href,
      protocol,
      hostname,
      port: parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port),
    },
  };
}

/**
 * Resolves `hostname` and returns the address to connect to (the resolver's first), or
 * `webhook_url_refused` when ANY of its addresses is not public (unless `allowPrivate`): a name
 * with one public and one private address would otherwise reach the private one whenever
 * the connection picks it. A literal IP is checked without resolving; a name that does not
 * resolve is `webhook_dns_failed` (its message carries the resolver's code, e.g. ENOTFOUND).
 */
export async function resolveSafeAddress(
  hostname: string,
  options: UrlSafetyOptions,
  lookup: ResolveAll = systemResolver,
): Promise<Outcome<SafeAddress>> {
  const host = unbracket(hostname);
  const literal = isIP(host);
  if (literal === 4 || literal === 6) {
    const refused = refusal(host, options);
    return refused ?? { ok: true, value: { address: host, family: literal } };
  }
  let answers: readonly ResolvedAddress[];
  try {
    answers = await lookup(host);
  } catch (error) {
    return failure('webhook_dns_failed', `${host} does not resolve (${errorCode(error)})`);
  }
  let first: SafeAddress | undefined;
  for (const answer of answers) {
    const family = isIP(answer.address);
    // A resolver answer that is not an address at all is refused rather than connected to.
    if (family !== 4 && family !== 6)
      return failure('webhook_url_refused', `${host} resolves to something that is not an IP`);
    const refused = refusal(answer.address, options, host);
    if (refused !== null) return refused;
    first ??= { address: answer.address, family };
  }
  if (first === undefined) return failure('webhook_dns_failed', `${host} has no address`);
  return { ok: true, value: first };
}

/**
 * The blocked ranges, by the name a refusal gives. BlockList compares IPv6 forms of IPv4
 * addresses too: `::ffff:127.0.0.1` is in 127.0.0.0/8, so a mapped address cannot slip by.
 */
const BLOCKED: readonly (readonly [kind: string, list: BlockList])[] = [
  [
    'loopback',
    blockList([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
  ],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ]),
  ],
  // 169.254.169.254 (the cloud metadata service) is link-local.
  [
    'link-local',
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ]),
  ],
  // 0.0.0.0 and :: reach the local host on most systems; ::/96 also holds the deprecated
  // IPv4-compatible forms (::127.0.0.1).
  [
    'unspecified',
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 96, 'ipv6'],
    ]),
  ],
  ['shared (CGNAT)', blockList([['100.64.0.0', 10, 'ipv4']])],
  [
    'multicast',
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
  ],
  // Never a public host: reserved and broadcast (240/4, 255.255.255.255), IETF protocol
  // assignments, documentation and benchmarking ranges, site-local, discard-only and local-use
  // NAT64 prefixes.
  [
    'reserved',
    blockList([
      ['240.0.0.0', 4, 'ipv4'],
      ['192.0.0.0', 24, 'ipv4'],
      ['192.0.2.0', 24, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['2001:db8::', 32, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
      ['100::', 64, 'ipv6'],
      ['64:ff9b:1::', 48, 'ipv6'],
      // Addresses that carry an IPv4 one inside, which may be private: NAT64's well-known
      // prefix (RFC 6052) and 6to4 (RFC 3056). Refused whole rather than decoded.
      ['64:ff9b::', 96, 'ipv6'],
      ['2002::', 16, 'ipv6'],
    ]),
  ],
];

function blockList(subnets: readonly (readonly [string, number, 'ipv4' | 'ipv6'])[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix, type] of subnets) list.addSubnet(network, prefix, type);
  return list;
}

/** The refusal of a non-public `address` (an IP), or null when it may be connected to. */
function refusal(address: string, options: UrlSafetyOptions, name?: string): Refusal | null {
  if (options.allowPrivate) return null;
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  for (const [kind, list] of BLOCKED) {
    if (list.check(address, type)) {
      // A name's address is not repeated: the message goes back to the caller (and into the
      // delivery log), and must not map names inside the server's network for anyone.
      const message =
        name === undefined
          ? `${address} is not a public address (${kind})`
          : `${name} resolves to an address that is not public (${kind})`;
      return failure('webhook_url_refused', message);
    }
  }
  return null;
}

type Refusal = ReturnType<typeof failure>;

/** `[::1]` (a URL's hostname) is `::1` (an address). */
function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function invalid(message: string): Refusal {
  return failure('webhook_url_invalid', message);
}

/** A system error's code (ENOTFOUND, ECONNREFUSED, …), else its message. */
export function errorCode(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string'
  )
    return error.code;
  return error instanceof Error ? error.message : String(error);
}
