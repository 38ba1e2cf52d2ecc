import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { serveTcp, type TcpEndpoint } from '../../src/emulator/serve/tcp.js';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';
import { ALL_BYTES, ByteCollector, RecordingModule } from './bytes.js';
import { socketPort } from './host-ports.js';

/** Every test is bounded, whatever goes wrong. */
const TIMEOUT_MS = 20000;

const TRANSCRIPTS = join(import.meta.dirname, '../transcripts/engine');

interface Host {
  readonly socket: Socket;
  readonly received: ByteCollector;
  /** Settles when the emulator (or we) closed the connection. */
  readonly closed: Promise<void>;
}

async function attach(endpoint: TcpEndpoint): Promise<Host> {
  const socket = connect({ host: '127.0.0.1', port: endpoint.port });
  const received = new ByteCollector();
  socket.on('data', received.push);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received, closed };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

async function withServer(body: (endpoint: TcpEndpoint, modem: EmulatedModem) => Promise<void>): Promise<void> {
  const modem = new EmulatedModem({ config: { bootUrcs: false } });
  const endpoint = await serveTcp(modem, { port: 0 });
  try {
    await body(endpoint, modem);
  } finally {
    await endpoint.close();
  }
}

test('tcp: listens on 127.0.0.1 by default, a free port when asked for 0', { timeout: TIMEOUT_MS }, async () => {
  await withServer(async (endpoint) => {
    assert.equal(endpoint.host, '127.0.0.1');
    assert.ok(endpoint.port > 0);
    assert.equal(endpoint.description, `tcp 127.0.0.1:${endpoint.port}`);
  });
});

test('tcp: AT answers OK, byte for byte', { timeout: TIMEOUT_MS }, async () => {
  await withServer(async (endpoint) => {
    const host = await attach(endpoint);
    host.socket.write('AT\r');
    const got = await host.received.contains('OK\r\n');
    assert.equal(got.toString('latin1'), 'AT\r\r\nOK\r\n');
    host.socket.destroy();
  });
});

test('tcp: a new connection takes the port over, the old one is closed, the module state survives', { timeout: TIMEOUT_MS }, async () => {
  await withServer(async (endpoint) => {
    const first = await attach(endpoint);
    first.socket.write('ATE0\r');
    await first.received.contains('OK\r\n');

    const second = await attach(endpoint);
    await within(first.closed, 2000, 'the replaced connection closes');
    // Echo is still off: the module outlived its first host.
    second.socket.write('AT\r');
    assert.equal((await second.received.contains('OK\r\n')).toString('latin1'), '\r\nOK\r\n');

    // A host that leaves does not take the module with it either.
    second.socket.end();
    await within(second.closed, 2000, 'the second connection closes');
    const third = await attach(endpoint);
    third.socket.write('AT\r');
    assert.equal((await third.received.contains('OK\r\n')).toString('latin1'), '\r\nOK\r\n');
    third.socket.destroy();
  });
});

test('tcp: output while no host is attached is lost, like a UART nobody listens to', { timeout: TIMEOUT_MS }, async () => {
  await withServer(async (endpoint, modem) => {
    modem.urc('+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY');
    const host = await attach(endpoint);
    host.socket.write('AT\r');
    assert.equal((await host.received.contains('OK\r\n')).toString('latin1'), 'AT\r\r\nOK\r\n');
    host.socket.destroy();
  });
});

test('tcp: bytes pass untouched both ways', { timeout: TIMEOUT_MS }, async () => {
  const module = new RecordingModule();
  const endpoint = await serveTcp(module, { port: 0 });
  try {
    const host = await attach(endpoint);
    host.socket.write(ALL_BYTES);
    assert.deepEqual(await module.fromHost.until((b) => b.length >= 256), ALL_BYTES);
    module.print(ALL_BYTES);
    assert.deepEqual(await host.received.until((b) => b.length >= 256), ALL_BYTES);
    host.socket.destroy();
  } finally {
    await endpoint.close();
  }
});

test('tcp: close() ends the attached connection and stops listening', { timeout: TIMEOUT_MS }, async () => {
  const modem = new EmulatedModem({ config: { bootUrcs: false } });
  const endpoint = await serveTcp(modem, { port: 0 });
  const host = await attach(endpoint);
  await within(endpoint.close(), 2000, 'close');
  await within(host.closed, 2000, 'the host connection closes');
  await assert.rejects(attach(endpoint), /ECONNREFUSED/);
});

test('tcp: the engine echo-and-framing transcript plays over a socket', { timeout: TIMEOUT_MS }, async () => {
  await withServer(async (endpoint) => {
    const host = await attach(endpoint);
    await runTranscript(socketPort(host.socket), loadTranscript(join(TRANSCRIPTS, 'echo-and-framing.txt')));
    host.socket.destroy();
  });
});
