import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { AtChannel } from '../../src/driver/at-channel.js';
import { ChannelClosedError } from '../../src/driver/errors.js';
import { createMemoryPair } from '../../src/driver/transports/memory.js';
import { parseTcpDevice } from '../../src/driver/transports/tcp.js';
import { openTransport, transportKind } from '../../src/driver/transports/open.js';

/** A minimal module: answers every `AT…<CR>` line with OK, `AT+CSQ` with a value. */
class TinyModule extends EventEmitter {
  private line = '';
  input(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b !== 0x0d) {
        if (b !== 0x0a) this.line += String.fromCharCode(b);
        continue;
      }
      const reply = this.line.toUpperCase() === 'AT+CSQ' ? '\r\n+CSQ: 21,99\r\n\r\nOK\r\n' : '\r\nOK\r\n';
      this.line = '';
      this.emit('output', Buffer.from(reply, 'latin1'));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms))]);
}

test('transports: device strings pick the transport', () => {
  assert.equal(transportKind('/dev/ttyUSB2'), 'serial');
  assert.equal(transportKind('/dev/pts/3'), 'serial');
  assert.equal(transportKind('COM5'), 'serial');
  assert.equal(transportKind('tcp://127.0.0.1:7070'), 'tcp');
  assert.throws(() => transportKind('udp://127.0.0.1:7070'), TypeError);
  assert.throws(() => transportKind(''), TypeError);
  assert.deepEqual(parseTcpDevice('tcp://127.0.0.1:7070'), { host: '127.0.0.1', port: 7070 });
  assert.deepEqual(parseTcpDevice('tcp://[::1]:7070'), { host: '::1', port: 7070 });
  assert.throws(() => parseTcpDevice('tcp://127.0.0.1'), TypeError);
  assert.throws(() => parseTcpDevice('tcp://127.0.0.1:70000'), TypeError);
});

test('transports: the memory pair carries bytes both ways, in order, and ends together', async () => {
  const { host, module } = createMemoryPair();
  const got: Buffer[] = [];
  module.on('data', (b: Buffer) => got.push(b));
  const source = Buffer.from([0, 1, 2, 0x0d, 0x0a, 0xff]);
  host.write(source);
  host.write(Buffer.from('more'));
  source[0] = 9; // the pipe copied the bytes
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(Buffer.concat(got), Buffer.from([0, 1, 2, 0x0d, 0x0a, 0xff, ...Buffer.from('more')]));
  const closed = new Promise((r) => host.once('close', r));
  module.destroy();
  await withTimeout(closed, 1_000, 'host close');
});

test('transports: tcp:// reaches a module on 127.0.0.1; its going away closes the channel', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const tiny = new TinyModule();
    tiny.on('output', (b: Buffer) => socket.write(b));
    socket.on('data', (b) => tiny.input(b));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const transport = await openTransport(`tcp://127.0.0.1:${port}`);
    const channel = new AtChannel(transport, { name: 'tcp-test' });
    assert.equal((await channel.command('AT')).final, 'OK');
    assert.deepEqual((await channel.command('AT+CSQ')).lines, ['+CSQ: 21,99']);
    const closed = new Promise((r) => channel.once('close', r));
    for (const s of sockets) s.destroy();
    await withTimeout(closed, 2_000, 'channel close');
    await assert.rejects(channel.command('AT'), ChannelClosedError);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('transports: tcp:// to a closed port fails to open', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  await assert.rejects(openTransport(`tcp://127.0.0.1:${port}`, { connectTimeoutMs: 2_000 }), /ECONNREFUSED|connect/);
});

test('transports: a serial device path opens through serialport (on a PTY)', async (t) => {
  let servePty: typeof import('../../src/emulator/serve/pty.js').servePty;
  try {
    ({ servePty } = await import('../../src/emulator/serve/pty.js'));
  } catch (error) {
    t.skip(`no PTY support here: ${String(error)}`);
    return;
  }
  const tiny = new TinyModule();
  const endpoint = await servePty(tiny);
  let transport: Duplex | undefined;
  try {
    transport = await openTransport(endpoint.path, { baudRate: 921_600 });
    const channel = new AtChannel(transport, { name: endpoint.path });
    assert.deepEqual((await withTimeout(channel.command('AT+CSQ'), 3_000, 'AT+CSQ over the PTY')).lines, ['+CSQ: 21,99']);
    channel.close();
  } finally {
    transport?.destroy();
    await endpoint.close();
  }
  await assert.rejects(openTransport('/dev/does-not-exist-a76xx'), /open \/dev\/does-not-exist-a76xx/);
});
