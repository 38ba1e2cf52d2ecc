import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { SocketMode } from '../../src/driver/link-user.js';
import type { TcpServer } from '../../src/driver/tcp-server.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import { readAll, startEmulated, within } from './support/emulated.js';

const T = { timeout: 15_000 };

function listening(server: TcpServer, port = 0): Promise<number> {
  return within(
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, () => resolve(server.address()?.port ?? -1));
    }),
    3_000,
    'listening',
  );
}

async function client(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await within(once(socket, 'connect'), 3_000, 'client connect');
  return socket;
}

for (const mode of ['push', 'buffer', 'transparent'] as const satisfies readonly SocketMode[]) {
  test(`server [${mode}]: listen(0), accepted clients are TcpSockets (echo), close() after they leave`, T, async () => {
    const em = await startEmulated({ mode });
    try {
      const server = em.a76xx.createServer((socket) => socket.pipe(socket));
      const accepted: TcpSocket[] = [];
      server.on('connection', (s) => accepted.push(s));
      const port = await listening(server);
      assert.ok(port > 0, 'port > 0');
      assert.equal(server.listening, true);
      assert.deepEqual(server.address(), { address: em.a76xx.localAddress, family: 'IPv4', port });
      const peer = await client(port);
      const data = randomBytes(mode === 'transparent' ? 100_000 : 60_000);
      const echoed = collect(peer, data.length);
      peer.write(data);
      assert.ok((await echoed).equals(data), 'byte-exact');
      const socket = accepted[0] as TcpSocket;
      assert.deepEqual([socket.remoteAddress, socket.remotePort, socket.localPort], ['127.0.0.1', peer.localPort, port]);
      // The client leaves: the accepted socket ends and closes; then the server can stop.
      const socketClosed = once(socket, 'close');
      peer.end();
      await within(socketClosed, 5_000, 'the accepted socket to close');
      const closed = once(server, 'close');
      server.close();
      await within(closed, 3_000, 'server close');
      assert.equal(server.listening, false);
      assert.equal(server.address(), null);
    } finally {
      await em.close();
    }
  });
}

test('server [push]: two clients at once on two links; close() waits for the last one', T, async () => {
  const em = await startEmulated({ mode: 'push' });
  try {
    const server = em.a76xx.createServer((socket) => socket.pipe(socket));
    const port = await listening(server);
    const [a, b] = [await client(port), await client(port)];
    const [ea, eb] = [collect(a, 3), collect(b, 3)];
    a.write('aaa');
    b.write('bbb');
    assert.equal((await ea).toString(), 'aaa');
    assert.equal((await eb).toString(), 'bbb');
    let closed = false;
    server.close(() => {
      closed = true;
    });
    a.end();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(closed, false, 'one client is still connected');
    // A newcomer is not served any more.
    const late = await client(port);
    const lateEnd = readAll(late, 3_000, 'the late client to be closed');
    b.end();
    await within(
      (async () => {
        while (!closed) await new Promise((r) => setTimeout(r, 10));
      })(),
      3_000,
      'close',
    );
    assert.equal((await lateEnd).length, 0);
  } finally {
    await em.close();
  }
});

test('server: an accepted socket can close the connection itself; the client sees the data then the end', T, async () => {
  const em = await startEmulated({ mode: 'buffer' });
  try {
    const server = em.a76xx.createServer((socket) => socket.end('bye'));
    const port = await listening(server);
    const peer = await client(port);
    assert.equal((await readAll(peer, 3_000)).toString(), 'bye');
    server.close();
    await within(once(server, 'close'), 3_000, 'close');
  } finally {
    await em.close();
  }
});

function collect(socket: Socket, length: number): Promise<Buffer> {
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
    5_000,
    `${length} bytes back`,
  );
}
