import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { A76xx } from '../../../src/driver/a76xx.js';
import { A76xxError, ModuleResetError } from '../../../src/driver/errors.js';
import { SocketError } from '../../../src/driver/socket-errors.js';
import type { TcpSocket } from '../../../src/driver/tcp-socket.js';
import type { UdpSocket } from '../../../src/driver/udp-socket.js';
import { createMemoryPair } from '../../../src/driver/transports/memory.js';
import { within } from '../../driver/support/emulated.js';
import { FUZZ_SEED, runs } from '../settings.js';
import { reported } from './failure.js';
import { FakeModule } from './fake-module.js';
import { payloadArbitrary } from './output.js';

/**
 * Sockets of the public API (`A76xx.open` over the in-memory transport) against a module whose
 * output carries URCs and other links' pushed blocks between any two frames, cut into random chunks:
 * several TCP sockets and a UDP socket at once, in push and buffer mode, each talking to an echo
 * peer. Every socket receives exactly the bytes it sent, in order; every datagram comes back whole.
 * With a restart in the middle: every socket fails with a typed error having received a prefix of
 * what it sent (never a wrong byte), and after `recover()` a new socket works.
 */

const options = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns) });
const T = { timeout: 120_000 };

const OPEN_OPTIONS = {
  syncTimeoutMs: 1_000,
  pollIntervalMs: 10,
  recoveryMs: 50,
  // This test drives recovery itself (`recover()` after the restart); automatic recovery has its own test.
  recovery: false,
  timeouts: { default: 5_000, '+CIPOPEN': 5_000, '+CIPSEND': 5_000, '+CIPCLOSE': 5_000, '+NETOPEN': 5_000, '+NETCLOSE': 5_000 },
};

const scenarioArbitrary = fc.record({
  mode: fc.constantFrom<'push' | 'buffer'>('push', 'buffer'),
  tcp: fc.array(fc.array(payloadArbitrary(3000), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
  udp: fc.array(payloadArbitrary(1400).filter((b) => b.length > 0), { maxLength: 8 }),
  seed: fc.integer(),
  noise: fc.constantFrom(0, 0.1, 0.4),
  maxChunk: fc.constantFrom(1, 7, 64, 1500, 4000),
  maxBlock: fc.constantFrom(1, 100, 1500),
  reboot: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 4 }),
});

interface TcpRun {
  readonly socket: TcpSocket;
  readonly sent: Buffer;
  readonly received: Buffer[];
  error: Error | undefined;
  readonly closed: Promise<void>;
}

function startTcp(a76xx: A76xx, payloads: readonly Buffer[]): TcpRun {
  const socket = a76xx.createConnection({ port: 7, host: '127.0.0.1' });
  const run: TcpRun = {
    socket,
    sent: Buffer.concat(payloads),
    received: [],
    error: undefined,
    closed: new Promise((resolve) => socket.once('close', () => resolve())),
  };
  socket.on('data', (chunk: Buffer) => run.received.push(chunk));
  socket.on('error', (error) => {
    run.error = error;
  });
  for (const p of payloads) if (p.length > 0) socket.write(p, () => {});
  return run;
}

/** Resolves once `run` received `run.sent.length` bytes or failed. */
function settled(run: TcpRun): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (run.error !== undefined || run.received.reduce((n, b) => n + b.length, 0) >= run.sent.length) resolve();
    };
    check();
    run.socket.on('data', check);
    run.socket.on('error', check);
    run.socket.on('close', check);
  });
}

function sendDatagrams(socket: UdpSocket, datagrams: readonly Buffer[]): Promise<(Error | null)[]> {
  return Promise.all(datagrams.map((d) => new Promise<Error | null>((resolve) => socket.send(d, 7, '127.0.0.1', (error) => resolve(error)))));
}

test('driver sockets: every TCP socket gets exactly the bytes it sent, every datagram comes back whole, whatever the module prints between frames', T, async () => {
  await reported(() => fc.assert(
    fc.asyncProperty(scenarioArbitrary, async (s) => {
      const { host, module: end } = createMemoryPair();
      const total = s.tcp.flat().reduce((n, b) => n + b.length, 0) + s.udp.reduce((n, b) => n + b.length, 0);
      const fake = new FakeModule(end, {
        seed: s.seed,
        noise: s.noise,
        maxChunk: s.maxChunk,
        maxBlock: s.maxBlock,
        spareLinks: [0, 1, 2],
        ...(s.reboot === null ? {} : { rebootAfterBytes: Math.floor(s.reboot * total) }),
      });
      const a76xx = await within(A76xx.open(host, { mode: s.mode, ...OPEN_OPTIONS }), 10_000, 'bring-up');
      const warnings: string[] = [];
      a76xx.on('warning', (w) => warnings.push(w));
      a76xx.on('reset', () => {});
      try {
        const runs = s.tcp.map((payloads) => startTcp(a76xx, payloads));
        const udp = a76xx.createUdpSocket();
        const messages: Buffer[] = [];
        let udpError: Error | undefined;
        udp.on('message', (m) => messages.push(m));
        udp.on('error', (e) => {
          udpError = e;
        });
        const udpSent = s.udp.length === 0 ? Promise.resolve([]) : sendDatagrams(udp, s.udp);
        await within(Promise.all(runs.map(settled)), 30_000, 'every socket received its echo or failed');
        const udpResults = await within(udpSent, 30_000, 'every datagram sent or failed');
        if (udpError === undefined && udpResults.every((r) => r === null)) {
          await within(
            (async () => {
              while (messages.length < s.udp.length && udpError === undefined) await new Promise((r) => setTimeout(r, 5));
            })(),
            10_000,
            'every datagram back',
          );
        }

        if (fake.reboots === 0) {
          runs.forEach((r, i) => {
            assert.equal(r.error, undefined, `socket ${i}: ${String(r.error)}`);
            assert.ok(Buffer.concat(r.received).equals(r.sent), `socket ${i}: the bytes it sent, exactly`);
          });
          assert.equal(udpError, undefined, String(udpError));
          assert.deepEqual(messages.map((m) => m.toString('hex')), s.udp.map((d) => d.toString('hex')), 'datagrams whole, in order');
          for (const w of warnings) assert.match(w, /^20 bytes for link [012], which no socket owns/, `only the spare links' blocks are dropped: ${w}`);
          // Ending every socket closes every link on the module.
          for (const r of runs) r.socket.end();
          udp.close();
          await within(Promise.all(runs.map((r) => r.closed)), 10_000, 'every socket closed');
          await within(
            (async () => {
              while (fake.openLinks.length > 0) await new Promise((r) => setTimeout(r, 5));
            })(),
            5_000,
            `links closed on the module (${fake.openLinks.join(',')})`,
          );
          return;
        }

        // A restart: never a wrong byte; every unfinished socket fails with a typed error.
        runs.forEach((r, i) => {
          const got = Buffer.concat(r.received);
          assert.ok(got.equals(r.sent.subarray(0, got.length)), `socket ${i}: what it received is a prefix of what it sent`);
          if (got.length < r.sent.length) assert.ok(r.error instanceof A76xxError, `socket ${i}: failed with a typed error, not ${String(r.error)}`);
        });
        messages.forEach((m) => assert.ok(s.udp.some((d) => d.equals(m)), 'a datagram that was sent'));
        for (const r of runs) r.socket.destroy();
        udp.close();
        await within(Promise.all(runs.map((r) => r.closed)), 10_000, 'every socket closed');
        await within(a76xx.recover(), 10_000, 'recover');
        const again = startTcp(a76xx, [Buffer.from('after the restart\r\nOK\r\n')]);
        await within(settled(again), 10_000, 'a new socket after recover()');
        assert.equal(again.error, undefined, String(again.error));
        assert.equal(Buffer.concat(again.received).toString('latin1'), 'after the restart\r\nOK\r\n');
        again.socket.destroy();
      } finally {
        await a76xx.close();
      }
    }),
    options(40),
  ));
});

test('driver sockets: a restart fails every socket at once with ModuleResetError', T, async () => {
  const { host, module: end } = createMemoryPair();
  const fake = new FakeModule(end, { seed: 1, noise: 0.2, maxChunk: 9, maxBlock: 700, spareLinks: [0], rebootAfterBytes: 3000 });
  const a76xx = await within(A76xx.open(host, { mode: 'buffer', ...OPEN_OPTIONS }), 10_000, 'bring-up');
  a76xx.on('reset', () => {});
  try {
    const runs = [startTcp(a76xx, [Buffer.alloc(10_000, 1)]), startTcp(a76xx, [Buffer.alloc(10_000, 2)])];
    await within(Promise.all(runs.map((r) => r.closed)), 10_000, 'both sockets close');
    assert.equal(fake.reboots, 1);
    for (const r of runs) {
      const cause = r.error instanceof SocketError ? r.error.cause : r.error;
      assert.ok(cause instanceof ModuleResetError && (r.error as NodeJS.ErrnoException).code === 'ECONNRESET', String(r.error));
    }
  } finally {
    await a76xx.close();
  }
});
