import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo as DgramInfo } from 'node:dgram';
import { once } from 'node:events';
import { DriverStateError } from '../../src/driver/errors.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import type { RemoteInfo } from '../../src/driver/udp-socket.js';
import { startEmulated, within } from './support/emulated.js';
import { freePort } from '../support/peers.js';

const T = { timeout: 15_000 };

/** A loopback UDP peer that answers every datagram with `reply(msg)` (default: the same bytes). */
async function startUdpEcho(reply: (msg: Buffer) => Buffer[] = (m) => [m]) {
  const socket = createSocket('udp4');
  const seen: { msg: Buffer; from: DgramInfo }[] = [];
  socket.on('message', (msg, from) => {
    seen.push({ msg, from });
    for (const out of reply(msg)) socket.send(out, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { port: socket.address().port, seen, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

function messages(count: number, socket: { on(e: 'message', l: (m: Buffer, r: RemoteInfo) => void): unknown }): Promise<[Buffer, RemoteInfo][]> {
  const got: [Buffer, RemoteInfo][] = [];
  return within(
    new Promise((resolve) => {
      socket.on('message', (m, r) => {
        got.push([m, r]);
        if (got.length === count) resolve(got);
      });
    }),
    5_000,
    `${count} datagrams`,
  );
}

for (const mode of ['push', 'buffer'] as const satisfies readonly SocketMode[]) {
  test(`udp [${mode}]: send by name, datagrams back with their boundaries and source (rinfo)`, T, async () => {
    // The peer answers each datagram with two: the datagram, and its length as text.
    const peer = await startUdpEcho((m) => [m, Buffer.from(String(m.length))]);
    const em = await startEmulated({ mode, hosts: { 'udp.test': '127.0.0.1' } });
    try {
      const socket = em.a76xx.createUdpSocket();
      const listening = once(socket, 'listening');
      const got = messages(4, socket);
      const sent: number[] = [];
      socket.send('hello', peer.port, 'udp.test', (error, bytes) => {
        assert.equal(error, null);
        sent.push(bytes);
      });
      await within(listening, 3_000, 'listening');
      const { port } = socket.address();
      assert.ok(port > 0, 'port > 0');
      const binary = Buffer.from([0, 0x0d, 0x0a, 0x1a, 0x1b, 0xff, 0x2b, 0x2b, 0x2b]);
      socket.send(binary, 0, binary.length, peer.port, '127.0.0.1');
      const received = await got;
      assert.deepEqual(
        received.map(([m]) => m.toString('latin1')),
        ['hello', '5', binary.toString('latin1'), '9'],
      );
      for (const [m, rinfo] of received) assert.deepEqual(rinfo, { address: '127.0.0.1', family: 'IPv4', port: peer.port, size: m.length });
      assert.deepEqual(sent, [5]);
      // The peer saw the module's bound port.
      assert.deepEqual(peer.seen.map((s) => s.from.port), [port, port]);
      const closed = once(socket, 'close');
      socket.close();
      await within(closed, 3_000, 'close');
      assert.equal(em.a76xx.modem.linkState(9), 'free');
    } finally {
      await em.close();
      await peer.close();
    }
  });
}

test('udp: bind(port) takes that local port; oversize datagrams and bad ports are refused; no UDP in transparent mode', T, async () => {
  const peer = await startUdpEcho();
  const localPort = await freePort('udp');
  const em = await startEmulated({ mode: 'push' });
  try {
    const socket = em.a76xx.createUdpSocket();
    await within(new Promise<void>((r) => socket.bind(localPort, () => r())), 3_000, 'bind');
    assert.equal(socket.address().port, localPort);
    const big = await new Promise<Error | null>((r) => socket.send(Buffer.alloc(1501), peer.port, '127.0.0.1', (e) => r(e)));
    assert.equal((big as NodeJS.ErrnoException | null)?.code, 'EMSGSIZE', 'a datagram over 1500 bytes: EMSGSIZE, as dgram');
    const badPort = await new Promise<Error | null>((r) => socket.send('x', 0, '127.0.0.1', (e) => r(e)));
    assert.ok(badPort instanceof RangeError, 'badPort instanceof RangeError');
    const echo = messages(1, socket);
    socket.send(Buffer.alloc(1500, 7), peer.port, '127.0.0.1');
    const [[msg]] = await echo;
    assert.equal(msg.length, 1500);
    socket.close();
    await within(once(socket, 'close'), 3_000, 'close');
  } finally {
    await em.close();
    await peer.close();
  }
  const transparent = await startEmulated({ mode: 'transparent' });
  try {
    const socket = transparent.a76xx.createUdpSocket();
    socket.bind();
    const [error] = (await within(once(socket, 'error'), 3_000, 'error')) as [Error];
    assert.ok(error instanceof DriverStateError, 'error instanceof DriverStateError');
  } finally {
    await transparent.close();
  }
});
