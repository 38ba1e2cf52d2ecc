import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { A76xx } from '../../src/driver/a76xx.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import { spawnCli } from './spawn-cli.js';

/**
 * The driver over a real pseudo-terminal: `a76xx emulate --pty` in its own process, the driver
 * opening the printed /dev/pts/N through serialport, as it would a module's USB serial port.
 */

const skip = process.platform === 'win32' ? 'no pseudo-terminals on Windows' : false;
const T = { skip, timeout: 30_000 };

async function echoServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function echoThrough(a76xx: A76xx, port: number, size: number): Promise<Buffer> {
  const socket = a76xx.createConnection({ port, host: 'echo.test' });
  const data = randomBytes(size);
  const chunks: Buffer[] = [];
  let count = 0;
  const back = new Promise<void>((resolve, reject) => {
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      count += c.length;
      if (count >= size) resolve();
    });
    socket.once('error', reject);
  });
  socket.write(data);
  const timer = setTimeout(() => socket.destroy(new Error(`only ${count} of ${size} bytes back`)), 10_000);
  await back.finally(() => clearTimeout(timer));
  socket.end();
  await once(socket, 'close');
  assert.ok(Buffer.concat(chunks).equals(data), 'byte-exact');
  return data;
}

for (const mode of ['buffer', 'transparent'] as const satisfies readonly SocketMode[]) {
  test(`pty [${mode}]: A76xx.open(/dev/pts/N) — TCP echo through the emulator's PTY${mode === 'buffer' ? ', UDP, lookup' : ''}`, T, async () => {
    const echo = await echoServer();
    const emulator = spawnCli(['emulate', '--pty', '--host', 'echo.test=127.0.0.1', '--hosts-only']);
    let a76xx: A76xx | undefined;
    try {
      const endpoint = await emulator.ready();
      assert.equal(endpoint.kind, 'pty');
      if (endpoint.kind !== 'pty') return;
      assert.match(endpoint.path, /^\/dev\/(pts\/\d+|ttys\d+)$/);
      a76xx = await A76xx.open(endpoint.path, { mode });
      assert.equal(a76xx.localAddress, '10.148.0.17');
      await echoThrough(a76xx, echo.port, mode === 'buffer' ? 256 * 1024 : 128 * 1024);
      if (mode === 'buffer') {
        const address = await new Promise<string>((resolve, reject) => a76xx?.lookup('echo.test', (e, a) => (e ? reject(e) : resolve(a))));
        assert.equal(address, '127.0.0.1');
        const peer = createSocket('udp4');
        peer.on('message', (m, from) => peer.send(Buffer.concat([Buffer.from('re: '), m]), from.port, from.address));
        peer.bind(0, '127.0.0.1');
        await once(peer, 'listening');
        try {
          const udp = a76xx.createUdpSocket();
          const reply = new Promise<[Buffer, { address: string; port: number }]>((resolve) => udp.once('message', (m, r) => resolve([m, r])));
          udp.send('ping', peer.address().port, 'echo.test');
          const [message, rinfo] = await reply;
          assert.equal(message.toString(), 're: ping');
          assert.deepEqual([rinfo.address, rinfo.port], ['127.0.0.1', peer.address().port]);
          udp.close();
          await once(udp, 'close');
        } finally {
          peer.close();
        }
      }
    } finally {
      await a76xx?.close();
      emulator.dispose();
      echo.close();
    }
  });
}
