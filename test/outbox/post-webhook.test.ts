import { readFileSync } from 'node:fs';
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  RequestListener,
  ServerResponse,
} from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostWebhookOptions } from '../../src/outbox/post-webhook.js';
import { postWebhook } from '../../src/outbox/post-webhook.js';

const OPTIONS: PostWebhookOptions = { timeoutMs: 2_000, maxResponseBytes: 4096 };
const BODY = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
const SIGNED = {
  'webhook-id': 'msg_1',
  'webhook-timestamp': '1674087231',
  'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
};

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

interface TestServer {
  port: number;
  received: Received[];
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Listens on 127.0.0.1 (a free port), closed with its connections after the test. */
async function listenLocal(server: HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** An http server on 127.0.0.1 (a free port) that records each request, then answers it. */
async function serve(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<TestServer> {
  const received: Received[] = [];
  const listener: RequestListener = (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      // The client may hang up mid-answer (that is the point of some tests).
      response.on('error', () => undefined);
      answer(request, response);
    });
  };
  const server = createServer(listener);
  return { port: await listenLocal(server), received };
}

function local(port: number, path = '/hook'): { url: string; address: string } {
  return { url: `http://127.0.0.1:${port}${path}`, address: '127.0.0.1' };
}

describe('postWebhook', () => {
  it('POSTs the JSON body with the signing headers; a 200 is ok', async () => {
    const server = await serve((_request, response) => response.end('thanks'));
    const result = await postWebhook(
      local(server.port, '/hook?account=acct_1'),
      SIGNED,
      BODY,
      OPTIONS,
    );
    expect(result).toMatchObject({
      ok: true,
      statusCode: 200,
      error: null,
      responseBody: 'thanks',
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(OPTIONS.timeoutMs);
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hook?account=acct_1');
    expect(request?.body).toBe(BODY);
    expect(request?.headers).toMatchObject({
      ...SIGNED,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
      host: `127.0.0.1:${server.port}`,
    });
    expect(request?.headers['user-agent']).toMatch(/^paydoc-webhooks/);
  });

  it('counts any 2xx as ok', async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 204;
      response.end();
    });
    expect(await postWebhook(local(server.port), SIGNED, BODY, OPTIONS)).toMatchObject({
      ok: true,
      statusCode: 204,
      error: null,
    });
  });

  it('is not ok on a 500, and carries the status', async () => {
    const server = await serve((_request, response) => {
      response.statusCode = 500;
      response.end('boom');
    });
    expect(await postWebhook(local(server.port), SIGNED, BODY, OPTIONS)).toMatchObject({
      ok: false,
      statusCode: 500,
      error: null,
      responseBody: 'boom',
    });
  });

  it('does not follow a redirect: a 302 is a failure, and its target sees nothing', async () => {
    const target = await serve((_request, response) => response.end('ok'));
    const redirecting = await serve((_request, response) => {
      response.statusCode = 302;
      response.setHeader('location', `http://127.0.0.1:${target.port}/elsewhere`);
      response.end();
    });
    const result = await postWebhook(local(redirecting.port), SIGNED, BODY, OPTIONS);
    expect(result).toMatchObject({ ok: false, statusCode: 302, error: null });
    expect(redirecting.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
  });

  it('gives up with timeout when the server never answers', async () => {
    const server = await serve(() => undefined);
    const started = Date.now();
    const result = await postWebhook(local(server.port), SIGNED, BODY, {
      ...OPTIONS,
      timeoutMs: 300,
    });
    const took = Date.now() - started;
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1_500);
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('times out on a socket that accepts but never speaks HTTP', async () => {
    const silent = createTcpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as AddressInfo).port;
    const result = await postWebhook(local(port), SIGNED, BODY, { ...OPTIONS, timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'timeout' });
  });

  it('reads a huge answer only up to maxResponseBytes, and returns at once', async () => {
    const tenMegabytes = Buffer.alloc(10 * 1024 * 1024, 'x');
    const server = await serve((_request, response) => response.end(tenMegabytes));
    const started = Date.now();
    const result = await postWebhook(local(server.port), SIGNED, BODY, OPTIONS);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(result.responseBody).toBe('x'.repeat(OPTIONS.maxResponseBytes));
  });

  it('returns at once when an answer trickles a body after its status, by that status', async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
      // …and never ends.
    });
    const result = await postWebhook(local(server.port), SIGNED, BODY, {
      ...OPTIONS,
      timeoutMs: 300,
    });
    expect(result).toMatchObject({
      ok: true,
      statusCode: 200,
      error: null,
      responseBody: 'partial',
    });
  });

  it('reports a closed port as ECONNREFUSED', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await postWebhook(local(port), SIGNED, BODY, OPTIONS);
    expect(result).toMatchObject({ ok: false, statusCode: null, error: 'ECONNREFUSED' });
  });

  it('connects to the given address, not to where the name resolves; Host stays the name', async () => {
    const server = await serve((_request, response) => response.end());
    const result = await postWebhook(
      { url: `http://example.invalid:${server.port}/hook`, address: '127.0.0.1' },
      SIGNED,
      BODY,
      OPTIONS,
    );
    expect(result).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.headers.host).toBe(`example.invalid:${server.port}`);
  });

  it('connects to the given address even when the URL holds another literal IP', async () => {
    const server = await serve((_request, response) => response.end());
    // 127.0.0.2 is loopback too on Linux but nothing listens on its port; the address wins.
    const result = await postWebhook(
      { url: `http://127.0.0.2:${server.port}/hook`, address: '127.0.0.1' },
      SIGNED,
      BODY,
      OPTIONS,
    );
    expect(result).toMatchObject({ ok: true, statusCode: 200 });
    expect(server.received).toHaveLength(1);
  });

  it('keeps the signing headers as given, apart from content-type, content-length and host', async () => {
    const server = await serve((_request, response) => response.end());
    await postWebhook(
      local(server.port),
      { ...SIGNED, 'Content-Type': 'text/plain', 'Content-Length': '1', Host: 'evil.example' },
      BODY,
      OPTIONS,
    );
    expect(server.received[0]?.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(BODY)),
      host: `127.0.0.1:${server.port}`,
      'webhook-signature': SIGNED['webhook-signature'],
    });
  });

  it('answers a target it cannot connect to with an error, never a rejection', async () => {
    expect(
      await postWebhook({ url: 'not a url', address: '127.0.0.1' }, SIGNED, BODY, OPTIONS),
    ).toMatchObject({
      ok: false,
      statusCode: null,
      error: 'invalid_url',
    });
    expect(
      await postWebhook({ url: 'ftp://example.com/', address: '127.0.0.1' }, SIGNED, BODY, OPTIONS),
    ).toMatchObject({
      error: 'invalid_url',
    });
    expect(
      await postWebhook(
        { url: 'https://example.com/', address: 'example.com' },
        SIGNED,
        BODY,
        OPTIONS,
      ),
    ).toMatchObject({
      error: 'invalid_address',
    });
    const badHeader = await postWebhook(local(9), { 'webhook-id': 'a\r\nb' }, BODY, OPTIONS);
    expect(badHeader).toMatchObject({ ok: false, statusCode: null });
    expect(badHeader.error).toMatch(/^ERR_/);
  });

  describe('over https', () => {
    const key = readFileSync(new URL('./fixtures/example-invalid.key.pem', import.meta.url));
    const cert = readFileSync(new URL('./fixtures/example-invalid.cert.pem', import.meta.url));

    /**
     * A TLS server on 127.0.0.1 with a self-signed certificate for example.invalid, recording
     * the server name (SNI) of each handshake: the client refuses the certificate, so no
     * request ever arrives, but the name is sent first.
     */
    async function serveTls(): Promise<{ port: number; serverNames: string[] }> {
      const serverNames: string[] = [];
      const server = createTlsServer({
        key,
        cert,
        SNICallback: (servername, callback) => {
          serverNames.push(servername);
          callback(null, undefined);
        },
      });
      server.on('tlsClientError', () => undefined);
      return { port: await listenLocal(server), serverNames };
    }

    it('sends the URL host as the TLS server name and verifies the certificate', async () => {
      const server = await serveTls();
      const result = await postWebhook(
        { url: `https://example.invalid:${server.port}/hook`, address: '127.0.0.1' },
        SIGNED,
        BODY,
        OPTIONS,
      );
      expect(server.serverNames).toEqual(['example.invalid']);
      // A self-signed certificate is refused: verification is on.
      expect(result).toMatchObject({
        ok: false,
        statusCode: null,
        error: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
    });

    it('sends no server name for a literal IP', async () => {
      const server = await serveTls();
      const result = await postWebhook(
        { url: `https://127.0.0.1:${server.port}/hook`, address: '127.0.0.1' },
        SIGNED,
        BODY,
        OPTIONS,
      );
      expect(result.error).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      expect(server.serverNames).toEqual([]);
    });
  });
});
