import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { AtCommandError, DnsLookupError } from '../../src/driver/errors.js';
import { SocketError } from '../../src/driver/socket-errors.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import { LINK_COUNT } from '../../src/driver/modem.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import { RX_BUFFER_LIMIT, socketService } from '../../src/emulator/links.js';
import { readAll, startEmulated, startTcpServer, within, type Emulated } from './support/emulated.js';

/** Every test is bounded, whatever goes wrong. */
const T = { timeout: 20_000 };
const MODES: readonly SocketMode[] = ['push', 'buffer', 'transparent'];
const HOSTS = { 'echo.test': '127.0.0.1', 'web.test': '127.0.0.1' };

async function withModem(mode: SocketMode, body: (em: Emulated) => Promise<void>, driver = {}): Promise<void> {
  const em = await startEmulated({ mode, hosts: HOSTS, driver });
  try {
    await body(em);
  } finally {
    await em.close();
  }
}

function connected(socket: TcpSocket): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    5_000,
    'connect',
  );
}

function linkStates(em: Emulated): string {
  return Array.from({ length: LINK_COUNT }, (_, l) => em.a76xx.modem.linkState(l)).join(',');
}

/** Wait (bounded) until every link is free again. */
async function allLinksFree(em: Emulated): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (/reserved|open|closed/.test(linkStates(em))) {
    if (Date.now() > deadline) assert.fail(`links not released: ${linkStates(em)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const mode of MODES) {
  test(`tcp [${mode}]: 1 MiB of random bytes echoed byte-exact; net.Socket fields; end() frees the link`, T, async () => {
    const echo = await startTcpServer();
    try {
      await withModem(mode, async (em) => {
        const socket = em.a76xx.createConnection({ port: echo.port, host: 'echo.test' });
        assert.equal(socket.connecting, true);
        assert.equal(socket.pending, true);
        assert.equal(socket.readyState, 'opening');
        const lookups: unknown[][] = [];
        socket.on('lookup', (...args: unknown[]) => lookups.push(args));
        const data = randomBytes(1 << 20);
        // Written before the connection is up: it waits for it.
        socket.write(data.subarray(0, 1000));
        await connected(socket);
        assert.deepEqual(lookups, [[null, '127.0.0.1', 4, 'echo.test']]);
        assert.deepEqual([socket.remoteAddress, socket.remotePort, socket.remoteFamily], ['127.0.0.1', echo.port, 'IPv4']);
        assert.equal(socket.localAddress, em.a76xx.localAddress);
        assert.deepEqual([socket.connecting, socket.pending, socket.readyState], [false, false, 'open']);
        if (mode === 'transparent') assert.equal(socket.linkNumber, 0);
        const received: Buffer[] = [];
        let count = 0;
        const all = new Promise<void>((resolve) => {
          socket.on('data', (chunk: Buffer) => {
            received.push(chunk);
            count += chunk.length;
            if (count >= data.length) resolve();
          });
        });
        socket.write(data.subarray(1000));
        await within(all, 10_000, 'the echo');
        assert.ok(Buffer.concat(received).equals(data), 'byte-exact');
        assert.equal(socket.bytesRead, data.length);
        // No half-close on the module: end() closes the link once everything was written.
        socket.end();
        await within(once(socket, 'close'), 5_000, 'close');
        assert.equal(socket.bytesWritten, data.length);
        assert.equal(socket.readyState, 'closed');
        await allLinksFree(em);
      });
    } finally {
      await echo.close();
    }
  });

  test(`tcp [${mode}]: http.request through createConnection gets a page from a loopback server`, T, async () => {
    const body = randomBytes(150_000);
    const server = http.createServer((req, res) => {
      res.setHeader('x-path', req.url ?? '');
      res.end(body);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      await withModem(mode, async (em) => {
        const response = await within(
          new Promise<http.IncomingMessage>((resolve, reject) => {
            const request = http.request(`http://web.test:${port}/page?q=1`, {
              createConnection: (options) => em.a76xx.createConnection({ port: Number(options.port), host: options.hostname ?? 'localhost' }) as unknown as Socket,
            });
            request.on('response', resolve);
            request.on('error', reject);
            request.end();
          }),
          5_000,
          'the response',
        );
        assert.equal(response.statusCode, 200);
        assert.equal(response.headers['x-path'], '/page?q=1');
        assert.ok((await readAll(response, 5_000)).equals(body), '(await readAll(response, 5_000)).equals(body)');
        await allLinksFree(em);
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test(`tcp [${mode}]: the peer's close ends the readable side after its last bytes; the link is freed`, T, async () => {
    const peer = await startTcpServer((s) => s.end('last words'));
    try {
      await withModem(mode, async (em) => {
        const socket = em.a76xx.createConnection(peer.port, '127.0.0.1');
        const text = await readAll(socket, 5_000);
        assert.equal(text.toString(), 'last words');
        await within(once(socket, 'close'), 5_000, 'close');
        await allLinksFree(em);
      });
    } finally {
      await peer.close();
    }
  });
}

test('tcp [buffer]: a reader that stops reading stops the module reading (back-pressure to the peer); nothing lost', T, async () => {
  const total = 1 << 20;
  const data = randomBytes(total);
  let peerSocket: Socket | undefined;
  const peer = await startTcpServer((s) => {
    peerSocket = s;
    s.end(data);
  });
  try {
    await withModem('buffer', async (em) => {
      const socket = em.a76xx.createConnection({ port: peer.port, host: '127.0.0.1', highWaterMark: 16 * 1024 });
      await connected(socket);
      socket.pause();
      await new Promise((r) => setTimeout(r, 400));
      // The readable side holds at most its high-water mark and one read; the rest waits in the
      // module (64 KiB) and in the TCP windows: the peer could not write it all.
      assert.ok(socket.bytesRead <= 16 * 1024 + 1500, `read ahead ${socket.bytesRead}`);
      const link = socket.linkNumber as number;
      const service = socketService(em.emulator);
      assert.equal(service.links[link]?.paused, true, 'the module stopped reading its socket');
      assert.ok((service.rx[link]?.length ?? 0) >= RX_BUFFER_LIMIT, '(service.rx[link]?.length ?? 0) >= RX_BUFFER_LIMIT');
      assert.ok(peerSocket !== undefined, 'peerSocket !== undefined');
      socket.resume();
      const rest = await readAll(socket, 10_000);
      assert.equal(socket.bytesRead, total);
      assert.ok(rest.length <= total, 'rest.length <= total');
    });
  } finally {
    await peer.close();
  }
});

test('tcp [push]: several links at once are told apart (+RECEIVE,<link>,<len>)', T, async () => {
  const echo = await startTcpServer();
  try {
    await withModem('push', async (em) => {
      assert.equal(em.a76xx.modem.pushHeader, 'receive');
      await exchangeOnMany(em, echo.port, 4);
    });
  } finally {
    await echo.close();
  }
});

test('tcp [push]: with +IPD headers, links to different peers are told apart by RECV FROM', T, async () => {
  const a = await startTcpServer();
  const b = await startTcpServer();
  try {
    await withModem(
      'push',
      async (em) => {
        assert.equal(em.a76xx.modem.pushHeader, 'ipd');
        const [sa, sb] = [em.a76xx.createConnection(a.port, '127.0.0.1'), em.a76xx.createConnection(b.port, '127.0.0.1')];
        await Promise.all([connected(sa), connected(sb)]);
        const ra = collectUntil(sa, 3000);
        const rb = collectUntil(sb, 3000);
        for (let i = 0; i < 3; i++) {
          sa.write(Buffer.alloc(1000, 'a'));
          sb.write(Buffer.alloc(1000, 'b'));
        }
        assert.ok((await ra).equals(Buffer.alloc(3000, 'a')), '(await ra).equals(Buffer.alloc(3000, \'a\'))');
        assert.ok((await rb).equals(Buffer.alloc(3000, 'b')), '(await rb).equals(Buffer.alloc(3000, \'b\'))');
        // A second link to the same peer could not be told apart: refused up front.
        const twin = em.a76xx.createConnection(a.port, '127.0.0.1');
        const [refusal] = (await within(once(twin, 'error'), 3_000, 'error')) as [Error];
        assert.match(refusal.message, /could not be told apart/);
        sa.destroy();
        sb.destroy();
        await allLinksFree(em);
      },
      { pushHeader: 'ipd' },
    );
  } finally {
    await a.close();
    await b.close();
  }
});

test('tcp [buffer]: several links at once, each read on its own notice', T, async () => {
  const echo = await startTcpServer();
  try {
    await withModem('buffer', (em) => exchangeOnMany(em, echo.port, 5));
  } finally {
    await echo.close();
  }
});

test('tcp: refused connects, unknown names and bad ports fail with typed errors; the link is given back', T, async () => {
  const closed = await startTcpServer();
  const port = closed.port;
  await closed.close();
  await withModem('push', async (em) => {
    const refused = em.a76xx.createConnection(port, '127.0.0.1');
    const [error] = (await within(once(refused, 'error'), 5_000, 'error')) as [SocketError];
    assert.ok(error instanceof SocketError, 'error instanceof SocketError');
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(error.syscall, 'connect');
    assert.equal(error.moduleCode, 'A76XX_AT_ERROR');
    assert.ok(error.cause instanceof AtCommandError && error.cause.err === 1, 'the module detail stays on the error');
    const unknown = em.a76xx.createConnection(80, 'nowhere.test');
    const unknownClosed = new Promise<[boolean]>((resolve) => unknown.once('close', (hadError: boolean) => resolve([hadError])));
    const [dns] = (await within(once(unknown, 'error'), 5_000, 'error')) as [DnsLookupError];
    assert.ok(dns instanceof DnsLookupError, 'dns instanceof DnsLookupError');
    assert.equal(dns.code, 'ENOTFOUND');
    assert.equal(dns.dnsError, 10);
    const [hadError] = await within(unknownClosed, 1_000, 'close');
    assert.equal(hadError, true, "'close' says it came with an error, as net does");
    const bad = em.a76xx.createConnection(0, '127.0.0.1');
    const [range] = (await within(once(bad, 'error'), 1_000, 'error')) as [Error];
    assert.ok(range instanceof RangeError, 'range instanceof RangeError');
    await allLinksFree(em);
  });
});

test('tcp: setTimeout emits timeout when idle; destroy() closes the link in the background', T, async () => {
  const echo = await startTcpServer();
  try {
    await withModem('buffer', async (em) => {
      const socket = em.a76xx.createConnection({ port: echo.port, host: 'echo.test', timeout: 80 });
      await connected(socket);
      assert.equal(socket.timeout, 80);
      const started = Date.now();
      await within(once(socket, 'timeout'), 2_000, 'timeout');
      assert.ok(Date.now() - started >= 60, 'Date.now() - started >= 60');
      assert.equal(socket.setNoDelay(true), socket);
      assert.equal(socket.setKeepAlive(true, 1000), socket);
      socket.destroy();
      await within(once(socket, 'close'), 2_000, 'close');
      await allLinksFree(em);
      // The peer saw the close.
      await new Promise((r) => setTimeout(r, 50));
    });
  } finally {
    await echo.close();
  }
});

test('tcp: pipeline() through the socket ends cleanly', T, async () => {
  const peer = await startTcpServer((s) => s.end(Buffer.alloc(50_000, 'p')));
  try {
    await withModem('push', async (em) => {
      const socket = em.a76xx.createConnection(peer.port, '127.0.0.1');
      let total = 0;
      await within(
        pipeline(
          socket,
          new Writable({
            write(chunk: Buffer, _e, cb) {
              total += chunk.length;
              cb();
            },
          }),
        ),
        5_000,
        'pipeline',
      );
      assert.equal(total, 50_000);
    });
  } finally {
    await peer.close();
  }
});

async function exchangeOnMany(em: Emulated, port: number, count: number): Promise<void> {
  const sockets = Array.from({ length: count }, () => em.a76xx.createConnection(port, 'echo.test'));
  await Promise.all(sockets.map(connected));
  const payloads = sockets.map(() => randomBytes(40_000));
  const echoes = sockets.map((s, i) => collectUntil(s, (payloads[i] as Buffer).length));
  sockets.forEach((s, i) => s.write(payloads[i] as Buffer));
  const got = await Promise.all(echoes);
  got.forEach((g, i) => assert.ok(g.equals(payloads[i] as Buffer), `socket ${i} byte-exact`));
  for (const s of sockets) s.end();
  await Promise.all(sockets.map((s) => within(once(s, 'close'), 5_000, 'close')));
  await allLinksFree(em);
}

function collectUntil(socket: TcpSocket, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let count = 0;
  return within(
    new Promise<Buffer>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        count += chunk.length;
        if (count >= length) resolve(Buffer.concat(chunks));
      });
    }),
    8_000,
    `${length} bytes`,
  );
}
