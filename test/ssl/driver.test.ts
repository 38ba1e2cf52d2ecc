import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { SslSessionError, type SslSocket } from '../../src/driver/index.js';
import { startEmulated, within, type Emulated } from '../driver/support/emulated.js';
import { makePki, type Pki } from './pki.js';
import { TlsPeer } from './tls-peer.js';
import { RECV_CACHE_LIMIT } from '../../src/emulator/ssl/session.js';

/**
 * The driver's SslSocket (module-side TLS) end to end: A76xx over an in-memory line to the
 * emulator, whose SSL service speaks real TLS to servers started here on 127.0.0.1.
 */
const T = { timeout: 20_000 };
const HOSTS = { 'server.test': '127.0.0.1' };
let pki: Pki;
before(() => {
  pki = makePki();
});
after(() => pki.cleanup());

async function withModem(body: (em: Emulated) => Promise<void>, mode: 'push' | 'buffer' = 'push'): Promise<void> {
  const em = await startEmulated({ mode, hosts: HOSTS });
  try {
    await body(em);
  } finally {
    await em.close();
  }
}

function secured(socket: SslSocket): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    }),
    8_000,
    'secureConnect',
  );
}

function failure(socket: SslSocket): Promise<Error> {
  return within(
    new Promise<Error>((resolve, reject) => {
      socket.once('error', resolve);
      socket.once('secureConnect', () => reject(new Error('connected, but it should have failed')));
    }),
    8_000,
    'error',
  );
}

/** Everything the socket reads until `length` bytes are in. */
async function readBytes(socket: SslSocket, length: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return within(
    new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        parts.push(chunk);
        got += chunk.length;
        if (got >= length) {
          socket.off('data', onData);
          resolve(Buffer.concat(parts));
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
    }),
    8_000,
    `${length} bytes`,
  );
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256));

for (const mode of ['push', 'buffer'] as const) {
test(`ssl driver [${mode}]: verified session with SNI; every byte value both ways over several CCHSEND chunks; end() closes it`, T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  try {
    await withModem(async (em) => {
      const socket = em.a76xx.connectTls({ host: 'server.test', port: peer.port, ca: pki.caCert });
      assert.equal(socket.connecting, true);
      await secured(socket);
      assert.equal(socket.encrypted, true);
      assert.equal(socket.authorized, true);
      assert.equal(socket.sessionNumber, 0);
      const server = await peer.connection(0);
      assert.equal(server.servername, 'server.test');
      socket.write(ALL_BYTES);
      assert.deepEqual(await server.read(ALL_BYTES.length), ALL_BYTES);
      server.socket.write(ALL_BYTES);
      assert.deepEqual(await readBytes(socket, ALL_BYTES.length), ALL_BYTES);
      assert.equal(socket.bytesWritten, ALL_BYTES.length);
      assert.equal(socket.bytesRead, ALL_BYTES.length);
      const closed = within(once(socket, 'close'), 5_000, 'close');
      socket.end();
      socket.resume();
      await server.waitEnded();
      await closed;
      // The file went down once: a second session downloads nothing.
      const list = await em.a76xx.modem.command('AT+CCERTLIST');
      assert.equal(list.lines.length, 1);
      const again = em.a76xx.connectTls({ host: 'server.test', port: peer.port, ca: pki.caCert });
      await secured(again);
      assert.equal(again.sessionNumber, 0);
      again.destroy();
    }, mode);
  } finally {
    peer.close();
  }
});

test(`ssl driver [${mode}]: a wrong CA, a wrong name and an unknown name reject with the module's codes; unverified sessions pass`, T, async () => {
  const wrongCa = await TlsPeer.start({ cert: pki.otherServerCert, key: pki.otherServerKey });
  const wrongName = await TlsPeer.start({ cert: pki.wrongNameCert, key: pki.wrongNameKey });
  try {
    await withModem(async (em) => {
      const a = await failure(em.a76xx.connectTls({ host: 'server.test', port: wrongCa.port, ca: pki.caCert }));
      assert.ok(a instanceof SslSessionError);
      assert.equal(a.err, 15);
      assert.equal(a.nodeCode, 'EPROTO');
      const b = await failure(em.a76xx.connectTls({ host: 'server.test', port: wrongName.port, ca: pki.caCert }));
      assert.ok(b instanceof SslSessionError && b.err === 15);
      const c = await failure(em.a76xx.connectTls({ host: 'nowhere.test', port: wrongName.port }));
      assert.ok(c instanceof SslSessionError && c.err === 13 && c.nodeCode === 'ENOTFOUND');
      const unverified = em.a76xx.connectTls({ host: 'server.test', port: wrongCa.port });
      await secured(unverified);
      assert.equal(unverified.authorized, false);
      unverified.destroy();
    }, mode);
  } finally {
    wrongCa.close();
    wrongName.close();
  }
});

test(`ssl driver [${mode}]: client certificate presented (mutual TLS); the peer's close ends the socket after its data`, T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert });
  try {
    await withModem(async (em) => {
      const socket = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });
      await secured(socket);
      const server = await peer.connection(0);
      assert.equal(server.clientAuthorized, true);
      assert.equal(server.servername, false); // no SNI for an address
      const ended = within(once(socket, 'end'), 5_000, 'end');
      const closed = within(once(socket, 'close'), 5_000, 'close');
      server.socket.end('bye');
      assert.equal((await readBytes(socket, 3)).toString(), 'bye');
      socket.resume();
      await ended;
      await closed;
      // Both sessions are free again.
      const a = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port });
      const b = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port });
      await Promise.all([secured(a), secured(b)]);
      const third = await failure(em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port }));
      assert.equal((third as { code?: string }).code, 'A76XX_STATE');
      a.destroy();
      b.destroy();
    }, mode);
  } finally {
    peer.close();
  }
});
}

test('ssl driver [buffer]: a reader that stops holds the server back (the module\'s cache fills, no more); everything arrives in order', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  try {
    await withModem(async (em) => {
      const socket = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port, highWaterMark: 4096 });
      await secured(socket);
      socket.pause();
      const server = await peer.connection(0);
      const flood = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 13) % 256));
      server.socket.write(flood);
      await new Promise((r) => setTimeout(r, 400));
      const cached = em.emulator.ssl.session(0)?.cached ?? 0;
      assert.ok(cached >= RECV_CACHE_LIMIT && cached < RECV_CACHE_LIMIT + 64 * 1024, `module cache ${cached}`);
      assert.ok(socket.bytesRead < 64 * 1024, `the host read only what its buffer wanted: ${socket.bytesRead}`);
      const all = readBytes(socket, flood.length);
      socket.resume();
      assert.ok((await all).equals(flood));
      socket.destroy();
    }, 'buffer');
  } finally {
    peer.close();
  }
});

test('ssl driver: tls: false opens a plain TCP session of the SSL service (client type 1)', T, async () => {
  const { createServer } = await import('node:net');
  const server = createServer((s) => {
    s.on('error', () => {}); // closing with echoed bytes unread is a reset
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await withModem(async (em) => {
      const socket = em.a76xx.connectTls({ host: '127.0.0.1', port: (server.address() as { port: number }).port, tls: false });
      await within(once(socket, 'connect'), 8_000, 'connect');
      assert.equal(socket.encrypted, false);
      socket.write(ALL_BYTES.subarray(0, 3000));
      assert.deepEqual(await readBytes(socket, 3000), ALL_BYTES.subarray(0, 3000));
      socket.destroy();
    });
  } finally {
    server.close();
  }
});

test('host-side TLS over a plain modem socket (tls.connect({ socket })) against the same server', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  try {
    await withModem(async (em) => {
      const plain = em.a76xx.createConnection({ host: '127.0.0.1', port: peer.port });
      const secure = tlsConnect({ socket: plain, ca: pki.caCert, servername: 'server.test' });
      await within(once(secure, 'secureConnect'), 8_000, 'secureConnect');
      assert.equal(secure.authorized, true);
      const server = await peer.connection(0);
      secure.write(ALL_BYTES.subarray(0, 4096));
      assert.deepEqual(await server.read(4096), ALL_BYTES.subarray(0, 4096));
      secure.destroy();
    });
  } finally {
    peer.close();
  }
});

test('ssl driver: network loss (+CCH: CCHSTOP) destroys the socket with NetworkLostError', T, async () => {
  const peer = await TlsPeer.start({ cert: pki.serverCert, key: pki.serverKey });
  try {
    await withModem(async (em) => {
      const socket = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port });
      await secured(socket);
      const error = within(once(socket, 'error'), 5_000, 'error');
      em.emulator.ssl.loseNetwork();
      const [err] = (await error) as [Error & { code?: string }];
      assert.equal(err.code, 'A76XX_NETWORK_LOST');
      // The service starts again for the next session.
      const next = em.a76xx.connectTls({ host: '127.0.0.1', port: peer.port });
      await secured(next);
      next.destroy();
    });
  } finally {
    peer.close();
  }
});
