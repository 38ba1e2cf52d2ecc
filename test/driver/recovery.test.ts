/**
 * Automatic recovery (A76xx `recovery` option): the backoff on a fake clock, and against the
 * emulator a network loss that MQTT.js gets over by reconnecting by itself, and an escape-first
 * open of a module a killed host left in transparent data mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { A76xx } from '../../src/driver/a76xx.js';
import { AutoRecovery } from '../../src/driver/auto-recovery.js';
import { EmulatedModem as EmulatedModem } from '../../src/emulator/modem.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { FakeClock } from '../../src/time/clock.js';
import { createMemoryPair } from '../../src/driver/transports/memory.js';
import { startBroker } from '../ecosystem/servers.js';
import { settle } from './support/clocked-module.js';
import { startEmulated, TEST_GUARD_MS, within } from './support/emulated.js';

test('recovery (fake clock): attempts after 500 ms, then ×2 up to the cap; events for each; a success ends it', async () => {
  const clock = new FakeClock();
  const log: string[] = [];
  let failuresLeft = 3;
  const recovery = new AutoRecovery(
    clock,
    async () => {
      log.push(`run at ${clock.now()}`);
      if (failuresLeft-- > 0) throw new Error('still down');
    },
    {
      attempt: (n) => log.push(`attempt ${n}`),
      recovered: (n) => log.push(`recovered ${n}`),
      failed: (_e, n, next) => log.push(`failed ${n}, next in ${next}`),
    },
    { firstDelayMs: 500, maxDelayMs: 1500 },
  );
  recovery.trigger();
  recovery.trigger(); // a second loss while recovering does not start another series
  for (let t = 0; t < 6_000; t += 100) {
    clock.advance(100);
    await settle();
  }
  assert.deepEqual(log, [
    'attempt 1', 'run at 500', 'failed 1, next in 1000',
    'attempt 2', 'run at 1500', 'failed 2, next in 1500',
    'attempt 3', 'run at 3000', 'failed 3, next in 1500',
    'attempt 4', 'run at 4500', 'recovered 4',
  ]);
  assert.equal(recovery.recovering, false);
  assert.equal(clock.pending, 0);
});

test('recovery: after a network loss MQTT.js reconnects by itself and publishes again (no user code)', { timeout: 30_000 }, async () => {
  const broker = await startBroker();
  const em = await startEmulated({ mode: 'push', driver: { recovery: { firstDelayMs: 50 } } });
  const client = new mqtt.MqttClient(() => em.a76xx.createConnection({ port: broker.port, host: '127.0.0.1' }), {
    protocolVersion: 4,
    reconnectPeriod: 100,
    clientId: 'a76xx-recovery',
  });
  client.on('error', () => {});
  try {
    await within(new Promise<void>((r) => client.once('connect', () => r())), 5_000, 'first connect');
    const recovered = within(once(em.a76xx, 'recovered'), 5_000, 'recovered');
    const reconnected = within(new Promise<void>((r) => client.once('connect', () => r())), 10_000, 'MQTT.js reconnect');
    loseNetwork(em.emulator);
    assert.deepEqual(await recovered, [1]);
    await reconnected;
    await within(client.publishAsync('a76xx/after', 'back', { qos: 1 }), 5_000, 'PUBACK after the recovery');
  } finally {
    client.end(true);
    await em.close();
    await broker.close();
  }
});

test('escape-first open: a module left in transparent data mode by a killed host sends no AT to the peer', { timeout: 30_000 }, async () => {
  let received = '';
  const peers = new Set<Socket>();
  const server = createServer((s) => {
    peers.add(s);
    s.on('error', () => {});
    s.on('data', (c) => (received += c.toString('latin1')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const emulator = new EmulatedModem({ config: { bootUrcs: false, escapeGuardMs: TEST_GUARD_MS }, network: new RealNetwork({ hosts: new Map(), staticOnly: true }) });
  const attach = () => {
    const pair = createMemoryPair();
    const out = (bytes: Uint8Array): void => void (pair.module.destroyed || pair.module.write(bytes));
    pair.module.on('data', (chunk: Buffer) => emulator.input(chunk));
    pair.module.on('error', () => {});
    emulator.on('output', out);
    return { host: pair.host, detach: () => (emulator.off('output', out), pair.module.destroy()) };
  };
  const options = { mode: 'transparent', guardMs: TEST_GUARD_MS, escapeAnswerMs: 250, syncTimeoutMs: 500, pollIntervalMs: 20, recovery: false } as const;
  try {
    const first = attach();
    const a = await A76xx.open(first.host, options);
    const socket = a.createConnection(port, '127.0.0.1');
    socket.on('error', () => {});
    await within(once(socket, 'connect'), 3_000, 'connect');
    socket.write('hello');
    await within((async () => { while (!received.includes('hello')) await new Promise((r) => setTimeout(r, 10)); })(), 3_000, 'hello at the peer');
    first.detach(); // the host dies; the module stays in data mode with the link up
    const second = attach();
    const b = await within(A76xx.open(second.host, { ...options, escapeFirst: true }), 10_000, 'escape-first open');
    assert.equal(received, 'hello', 'nothing but the first host\'s data reached the peer');
    await b.close();
    second.detach();
  } finally {
    emulator.reboot();
    for (const s of peers) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
