import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { READ_BYTES_PER_TURN, RealNetwork } from '../../src/emulator/network/real.js';
import { NetworkError, type TcpCloseCause, type TcpConnection } from '../../src/emulator/network/types.js';
import { freePort, TcpPeer, UdpPeer } from '../support/peers.js';

/** The real backend on its own: Node's net/dgram/dns behind the Network interface, on loopback. */

const network = new RealNetwork({ hosts: new Map([['Server.Test', '127.0.0.1']]), staticOnly: true });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof NetworkError && err.code === code);
}

function within<T>(ms: number, what: string, start: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

test('resolve: IPv4 literals, the static table (any case), nothing else when static-only', async () => {
  assert.equal(await network.resolve('192.0.2.7'), '192.0.2.7');
  assert.equal(await network.resolve('server.test'), '127.0.0.1');
  await rejectsWith(network.resolve('elsewhere.test'), 'not-found');
});

test('connectTcp: refused, aborted, and a live connection both ways', async () => {
  await rejectsWith(network.connectTcp({ host: '127.0.0.1', port: await freePort('tcp') }), 'refused');
  const aborted = new AbortController();
  aborted.abort();
  await rejectsWith(network.connectTcp({ host: '127.0.0.1', port: 9, signal: aborted.signal }), 'aborted');

  const peer = await TcpPeer.start();
  try {
    const connection = await network.connectTcp({ host: '127.0.0.1', port: peer.port, keepAliveMs: 60_000 });
    const far = await peer.connection(0);
    // Data sent before attach is held, not lost.
    await far.send(Buffer.from('early'));
    await new Promise((r) => setTimeout(r, 50));
    const received: Buffer[] = [];
    const closed = within<TcpCloseCause>(3000, 'close', (done) =>
      connection.attach({ data: (chunk) => received.push(chunk), closed: done }),
    );
    await connection.write(Buffer.from('hello'));
    await far.expect(Buffer.from('hello'));
    assert.equal(connection.remote.port, peer.port);
    far.close();
    assert.equal(await closed, 'remote');
    assert.equal(Buffer.concat(received).toString(), 'early');
  } finally {
    peer.close();
  }
});

test('TcpConnection: pause holds data back, abort resets, close sends FIN', async () => {
  const peer = await TcpPeer.start();
  try {
    const a = await network.connectTcp({ host: '127.0.0.1', port: peer.port });
    const farA = await peer.connection(0);
    const received: Buffer[] = [];
    a.pause();
    a.attach({ data: (chunk) => received.push(chunk), closed: () => {} });
    await farA.send(Buffer.from('held'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(received.length, 0, 'nothing while paused');
    a.resume();
    await within(3000, 'data after resume', (done) => {
      const poll = () => (received.length > 0 ? done(undefined) : setTimeout(poll, 5));
      poll();
    });
    a.abort();
    await farA.waitClosed();
    assert.equal(farA.wasReset, true);

    const b = await network.connectTcp({ host: '127.0.0.1', port: peer.port });
    const farB = await peer.connection(1);
    b.attach({ data: () => {}, closed: () => assert.fail('no event after the module closed it') });
    await b.write(Buffer.from('last'));
    b.close();
    await farB.expect(Buffer.from('last'));
    await within(3000, 'FIN', (done) => {
      const poll = () => (farB.ended ? done(undefined) : setTimeout(poll, 5));
      poll();
    });
    assert.equal(farB.wasReset, false);
  } finally {
    peer.close();
  }
});

test('bindUdp: datagrams both ways, source shown; a taken port is address-in-use', async () => {
  const peer = await UdpPeer.start();
  const socket = await network.bindUdp({ port: 0 });
  try {
    await rejectsWith(network.bindUdp({ port: socket.local.port }), 'address-in-use');
    const got = within<{ data: Buffer; port: number }>(3000, 'a datagram', (done) =>
      socket.attach({ message: (data, from) => done({ data, port: from.port }) }),
    );
    await peer.send(Buffer.from('ping'), socket.local.port);
    assert.deepEqual(await got, { data: Buffer.from('ping'), port: peer.port });
    await socket.send(Buffer.from('pong'), { address: '127.0.0.1', port: peer.port });
    await peer.expect(Buffer.from('pong'));
  } finally {
    socket.close();
    peer.close();
  }
});

test('listenTcp: accepted connections (held until attach) on 127.0.0.1; a taken port is address-in-use', async () => {
  const listener = await network.listenTcp({ port: 0, backlog: 3 });
  let client: Socket | undefined;
  try {
    assert.equal(listener.local.address, '127.0.0.1');
    await rejectsWith(network.listenTcp({ port: listener.local.port, backlog: 3 }), 'address-in-use');
    client = connect({ host: '127.0.0.1', port: listener.local.port });
    client.write('from client');
    await new Promise((r) => setTimeout(r, 50));
    const accepted = await within<TcpConnection>(3000, 'a connection', (done) => listener.attach({ connection: done }));
    const data = await within<Buffer>(3000, 'data', (done) => accepted.attach({ data: done, closed: () => {} }));
    assert.equal(data.toString(), 'from client');
    assert.equal(accepted.remote.port, client.localPort);
    accepted.close();
  } finally {
    client?.destroy();
    listener.close();
  }
});

test('fairness: a flooded connection hands over at most READ_BYTES_PER_TURN (+ one read) per event-loop turn, in order, and keeps flowing', async () => {
  // The flooding peer runs in its own process, so the socket here is always ready: libuv would
  // read it up to 32 times (2 MiB) in one poll without the budget.
  const CHUNK = 64 * 1024;
  const flooder = spawn(
    process.execPath,
    [
      '-e',
      `const net = require('node:net');
       const server = net.createServer((s) => {
         s.on('error', () => {});
         let seq = 0;
         const pump = () => { while (s.writable) { if (!s.write(Buffer.alloc(${CHUNK}, seq++ & 0xff))) return; } };
         s.on('drain', pump);
         pump();
       });
       server.listen(0, '127.0.0.1', () => console.log(server.address().port));
       process.stdin.on('end', () => process.exit(0));
       process.stdin.resume();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    const port = await within<number>(10_000, 'the flooder', (done) => {
      flooder.stdout.once('data', (b: Buffer) => done(Number(b.toString().trim())));
    });
    const connection = await network.connectTcp({ host: '127.0.0.1', port });
    const TARGET = 16 * 1024 * 1024;
    let total = 0;
    let thisTurn = 0;
    let worstTurn = 0;
    let ordered = true;
    let ticking = true;
    const tick = (): void => {
      worstTurn = Math.max(worstTurn, thisTurn);
      thisTurn = 0;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    try {
      await within<void>(30_000, `${TARGET} flooded bytes`, (done) => {
        connection.attach({
          data: (bytes) => {
            // Each 64 KiB of the stream carries its sequence number: order is kept through the pauses.
            for (let i = 0; i < bytes.length; i += 4096) if (bytes[i] !== (Math.floor((total + i) / CHUNK) & 0xff)) ordered = false;
            total += bytes.length;
            thisTurn += bytes.length;
            if (total >= TARGET) {
              connection.pause();
              done();
            }
          },
          closed: () => {},
        });
      });
    } finally {
      ticking = false;
      connection.abort();
    }
    worstTurn = Math.max(worstTurn, thisTurn);
    assert.ok(ordered, 'the bytes arrive in order across the pauses');
    assert.ok(worstTurn <= READ_BYTES_PER_TURN + CHUNK, `${worstTurn} bytes in one turn (budget ${READ_BYTES_PER_TURN} + one read)`);
  } finally {
    flooder.stdin.end();
    flooder.kill();
  }
});
