import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { AtLine } from '../../src/control/line.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { serveTcp } from '../../src/emulator/serve/tcp.js';

/**
 * A host floods 40 MiB in transparent mode through the TCP transport (AtLine, as `a76xx emulate`
 * serves it) to a loopback peer that reads nothing for its first two seconds: the module holds the
 * host back instead of dropping what its link cannot take, and every byte arrives in order.
 */

const MIB = 1024 * 1024;
const FLOOD_BYTES = 40 * MIB;
const SINK_STALL_MS = 2000;
const WAIT_MS = 30000;

async function bounded<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no end after ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `socket` until `text` has arrived. */
function waitFor(socket: Socket, text: string): Promise<void> {
  let seen = '';
  return bounded(
    `waiting for ${JSON.stringify(text)}`,
    new Promise<void>((resolve) => {
      const listener = (bytes: Buffer): void => {
        seen += bytes.toString('latin1');
        if (!seen.includes(text)) return;
        socket.off('data', listener);
        resolve();
      };
      socket.on('data', listener);
    }),
  );
}

test('transparent flood over the TCP transport: 40 MiB to a slow peer, nothing dropped', { timeout: WAIT_MS * 3 }, async () => {
  // The sink: stalls, then reads and hashes everything.
  const received = createHash('sha256');
  let receivedBytes = 0;
  let sinkDone!: () => void;
  const sinkEnded = new Promise<void>((resolve) => (sinkDone = resolve));
  const sink = createServer((socket) => {
    socket.on('error', () => {});
    socket.pause();
    setTimeout(() => socket.resume(), SINK_STALL_MS);
    socket.on('data', (bytes: Buffer) => {
      received.update(bytes);
      receivedBytes += bytes.length;
      if (receivedBytes >= FLOOD_BYTES) sinkDone();
    });
  });
  await new Promise<void>((resolve) => sink.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const sinkPort = (sink.address() as AddressInfo).port;

  const logs: string[] = [];
  const modem = new EmulatedModem({
    config: { bootUrcs: false },
    network: new RealNetwork({ hosts: new Map(), staticOnly: true }),
    log: (message) => logs.push(message),
  });
  const line = new AtLine(modem);
  const holds: boolean[] = [];
  line.on('input-hold', (held) => holds.push(held));
  const endpoint = await serveTcp(line, { port: 0 });
  const host = connect({ host: '127.0.0.1', port: endpoint.port });
  host.on('error', () => {});
  try {
    await bounded('connecting', new Promise<void>((resolve) => host.once('connect', () => resolve())));
    const connected = waitFor(host, 'CONNECT 115200\r\n');
    host.write(`ATE0;+CIPMODE=1\r`);
    await waitFor(host, 'OK\r\n');
    host.write('AT+NETOPEN\r');
    await waitFor(host, '+NETOPEN: 0\r\n');
    host.write(`AT+CIPOPEN=0,"TCP","127.0.0.1",${sinkPort}\r`);
    await connected;

    // No `+` anywhere: no chance of a guarded `+++` while the host is held.
    const sent = createHash('sha256');
    const block = randomBytes(MIB).map((b) => (b === 0x2b ? 0x2a : b));
    let written = 0;
    await bounded(
      'flooding',
      (async () => {
        while (written < FLOOD_BYTES) {
          const chunk = Buffer.from(block.subarray(0, Math.min(block.length, FLOOD_BYTES - written)));
          sent.update(chunk);
          written += chunk.length;
          if (!host.write(chunk)) await new Promise<void>((resolve) => host.once('drain', resolve));
        }
      })(),
    );
    await bounded('the sink reading everything', sinkEnded);
    assert.equal(receivedBytes, FLOOD_BYTES);
    assert.equal(received.digest('hex'), sent.digest('hex'));
    assert.deepEqual(logs, [], 'nothing dropped, nothing to report');
    assert.ok(holds.length >= 2 && holds[0] === true, `the host was held back (${JSON.stringify(holds.slice(0, 4))})`);
    assert.equal(holds[holds.length - 1], false, 'and released at the end');
  } finally {
    host.destroy();
    await endpoint.close();
    line.detach();
    modem.reboot();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
});
