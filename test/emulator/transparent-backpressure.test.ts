import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTranscript } from '../../src/at/transcript.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { TRANSMIT_QUEUE_LIMIT } from '../../src/emulator/links.js';
import type { TcpConnection, NetworkTcpConnectOptions } from '../../src/emulator/network/types.js';
import { TRANSPARENT_FLUSH_BYTES } from '../../src/emulator/packetizer.js';
import { INPUT_HIGH_WATER, INPUT_LOW_WATER } from '../../src/emulator/transparent.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';
import { ScriptedConnection, ScriptedNetwork } from './sockets-scripted-network.js';

/**
 * Transparent mode holds the host's input while link 0's peer lags: `input-hold` goes true once
 * more than INPUT_HIGH_WATER bytes wait unsent, false when the queue is down to INPUT_LOW_WATER,
 * on `+++`, on the link's end and on reboot. Writes leave only when the test lets them.
 */

/** A connection whose writes leave one by one, when the test drains them. */
class MeteredConnection extends ScriptedConnection {
  private queue: { length: number; resolve: () => void }[] = [];
  private queued = 0;

  override write(data: Buffer): Promise<void> {
    this.queued += data.length;
    return new Promise((resolve) => this.queue.push({ length: data.length, resolve }));
  }

  override get pendingWriteBytes(): number {
    return this.queued;
  }

  /** Let the oldest writes leave until at most `left` bytes wait. */
  drainTo(left: number): void {
    while (this.queued > left) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.queued -= next.length;
      next.resolve();
    }
  }
}

class MeteredNetwork extends ScriptedNetwork {
  override connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    const connection = new MeteredConnection({ address: '10.148.0.17', port: 40000 }, { address: options.host, port: options.port });
    this.connections.push(connection);
    return Promise.resolve(connection);
  }
}

const GUARD_MS = 50;
/** Whole packets: the packetizer sends them at once, nothing waits for its timer. */
const CHUNK = TRANSPARENT_FLUSH_BYTES * 64;

async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

async function transparentModem(): Promise<{ modem: EmulatedModem; link: MeteredConnection; holds: boolean[]; logs: string[] }> {
  const network = new MeteredNetwork();
  const logs: string[] = [];
  const modem = new EmulatedModem({ config: { bootUrcs: false, escapeGuardMs: GUARD_MS }, network, log: (m) => logs.push(m) });
  const holds: boolean[] = [];
  modem.on('input-hold', (held) => holds.push(held));
  const script = ['> ATE0', '<< ATE0\\r', '< OK', '> AT+CIPMODE=1', '< OK', '> AT+NETOPEN', '< OK', '< +NETOPEN: 0', '> AT+CIPOPEN=0,"TCP","peer.test",80', '< CONNECT 115200'];
  await runTranscript(modemPort(modem), parseTranscript(script.join('\n')), { timeoutMs: 5000 });
  const link = network.connection(0) as MeteredConnection;
  return { modem, link, holds, logs };
}

/** Feed whole chunks until link 0 has more than `bytes` unsent. */
function fill(modem: EmulatedModem, link: MeteredConnection, bytes: number): void {
  const chunk = Buffer.alloc(CHUNK, 0x41);
  while (link.pendingWriteBytes <= bytes) modem.input(Buffer.from(chunk));
}

test('transparent back-pressure: input held above the high-water mark, released at the low-water mark', { timeout: 10000 }, async () => {
  const { modem, link, holds } = await transparentModem();
  fill(modem, link, INPUT_HIGH_WATER - CHUNK);
  assert.deepEqual(holds, [], 'not held at or below the high-water mark');
  modem.input(Buffer.alloc(CHUNK, 0x41));
  assert.deepEqual(holds, [true]);
  assert.equal(modem.inputHeld, true);

  link.drainTo(INPUT_LOW_WATER + CHUNK);
  await settle();
  assert.deepEqual(holds, [true], 'still held above the low-water mark');
  link.drainTo(INPUT_LOW_WATER);
  await settle();
  assert.deepEqual(holds, [true, false]);
  assert.equal(modem.inputHeld, false);

  // Held again, then the peer closes: the session's end releases it.
  fill(modem, link, INPUT_HIGH_WATER);
  assert.deepEqual(holds, [true, false, true]);
  link.peerClose('remote');
  await settle();
  assert.deepEqual(holds, [true, false, true, false]);
  assert.equal(modem.inputHeld, false);
});

test('transparent back-pressure: +++ releases the hold (commands must be heard), ATO takes it back', { timeout: 10000 }, async () => {
  const { modem, link, holds } = await transparentModem();
  fill(modem, link, INPUT_HIGH_WATER);
  assert.deepEqual(holds, [true]);
  await new Promise((resolve) => setTimeout(resolve, GUARD_MS * 2));
  await runTranscript(modemPort(modem), parseTranscript(['>> +++', '< OK'].join('\n')), { timeoutMs: 5000 });
  assert.deepEqual(holds, [true, false]);
  await runTranscript(modemPort(modem), parseTranscript(['> ATO', '< CONNECT 115200'].join('\n')), { timeoutMs: 5000 });
  assert.deepEqual(holds, [true, false, true], 'the queue is still over the high-water mark');
  modem.reboot();
  assert.deepEqual(holds, [true, false, true, false]);
  assert.equal(modem.inputHeld, false);
});

test('transparent back-pressure: a host that ignores the hold loses bytes only past the hard limit, and the log says so', { timeout: 10000 }, async () => {
  const { modem, link, logs } = await transparentModem();
  fill(modem, link, TRANSMIT_QUEUE_LIMIT - CHUNK);
  assert.deepEqual(logs, []);
  const queued = link.pendingWriteBytes;
  modem.input(Buffer.alloc(CHUNK * 2, 0x41));
  const lost = queued + CHUNK * 2 - link.pendingWriteBytes;
  assert.ok(lost > 0, 'bytes over the limit are lost');
  assert.equal(logs.length, 1);
  assert.match(logs[0] as string, /dropping UART bytes/);
  link.drainTo(0);
  await settle();
  modem.input(Buffer.alloc(CHUNK, 0x41));
  assert.equal(logs.length, 2);
  assert.equal(logs[1], `transparent link 0: ${lost} UART bytes were dropped (link queue full)`);
});
