import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { A76xx, modemOptionsFor } from '../../src/driver/a76xx.js';
import { ChannelClosedError, DriverStateError, ModuleResetError, NetworkLostError } from '../../src/driver/errors.js';
import { SocketError } from '../../src/driver/socket-errors.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import { Modem } from '../../src/driver/modem.js';
import type { TcpServer } from '../../src/driver/tcp-server.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import type { UdpSocket } from '../../src/driver/udp-socket.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { CHUNKINGS, chunkingName, withFixture } from './support/harness.js';
import { startEmulated, startTcpServer, within, type Emulated } from './support/emulated.js';

const T = { timeout: 15_000 };

function firstError(emitter: TcpSocket | UdpSocket | TcpServer, ms = 3_000): Promise<Error> {
  return within(once(emitter, 'error').then(([e]) => e as Error), ms, 'an error event');
}

/** 'close' (events.once would reject on the 'error' that comes first). */
function closeOf(emitter: TcpSocket | UdpSocket | TcpServer): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}

/** A TCP socket mid-transfer, a bound UDP socket and a listening server, all on one module. */
async function everything(em: Emulated, echoPort: number) {
  const tcp = em.a76xx.createConnection(echoPort, '127.0.0.1');
  await within(once(tcp, 'connect'), 3_000, 'connect');
  tcp.on('data', () => {});
  const udp = em.a76xx.createUdpSocket();
  await within(new Promise<void>((r) => udp.bind(() => r())), 3_000, 'bind');
  const server = em.a76xx.createServer();
  await within(new Promise<void>((r) => server.listen(0, () => r())), 3_000, 'listen');
  return { tcp, udp, server };
}

for (const mode of ['push', 'buffer'] as const satisfies readonly SocketMode[]) {
  test(`failures [${mode}]: network loss errors every socket and server; recover() makes new ones work`, T, async () => {
    const echo = await startTcpServer();
    const em = await startEmulated({ mode });
    try {
      const { tcp, udp, server } = await everything(em, echo.port);
      const errors = [firstError(tcp), firstError(udp), firstError(server)];
      const closes = within(Promise.all([closeOf(tcp), closeOf(udp), closeOf(server)]), 3_000, 'closes');
      const writeDone = new Promise<Error | null | undefined>((resolve) => tcp.write(Buffer.alloc(200_000, 1), resolve));
      const lost = within(once(em.a76xx, 'network-lost'), 3_000, 'network-lost');
      loseNetwork(em.emulator);
      await lost;
      for (const error of await Promise.all(errors)) assert.ok(causeOf(error) instanceof NetworkLostError && (error as NodeJS.ErrnoException).code === 'ENETDOWN', String(error));
      assert.ok((await within(writeDone, 3_000, 'the write callback')) instanceof Error, '(await within(writeDone, 3_000, \'the write callback\')) instanceof Error');
      await closes;
      // New sockets are refused until recover().
      const early = em.a76xx.createConnection(echo.port, '127.0.0.1');
      const refused = await firstError(early);
      assert.equal((refused as NodeJS.ErrnoException).code, 'ENETDOWN', String(refused));
      assert.ok(causeOf(refused) instanceof DriverStateError, 'the driver says why: call recover() first');
      await within(em.a76xx.recover(), 5_000, 'recover');
      assert.equal(em.a76xx.modem.isNetworkOpen, true);
      const again = em.a76xx.createConnection(echo.port, '127.0.0.1');
      const back = within(once(again, 'data'), 3_000, 'echo');
      again.write('after recovery');
      assert.equal(String((await back)[0]), 'after recovery');
      again.destroy();
    } finally {
      await em.close();
      await echo.close();
    }
  });
}

for (const chunking of CHUNKINGS) {
  test(`failures [${chunkingName(chunking)}]: recorded network loss during a send, then recover (NETCLOSE, NETOPEN)`, T, () =>
    withFixture({
      fixture: 'network-lost-recover.txt',
      chunking,
      make: (host) => new Modem(host, { ...modemOptionsFor('push'), pollIntervalMs: 10, syncTimeoutMs: 200 }),
      run: async (modem) => {
        await modem.bringUp();
        assert.equal(modem.pushHeader, 'receive');
        const a76xx = new A76xx(modem, 'push');
        const tcp = a76xx.createConnection(5253, '127.0.0.1');
        await within(once(tcp, 'connect'), 3_000, 'connect');
        const udp = a76xx.createUdpSocket();
        await within(new Promise<void>((r) => udp.bind(5000, () => r())), 3_000, 'bind');
        const errors = [firstError(tcp), firstError(udp)];
        const written = new Promise<Error | null | undefined>((resolve) => tcp.write('hello', resolve));
        for (const error of await Promise.all(errors)) assert.ok(causeOf(error) instanceof NetworkLostError, 'error instanceof NetworkLostError');
        assert.ok(causeOf(await written) instanceof NetworkLostError, '(await written) instanceof NetworkLostError');
        await a76xx.recover();
        assert.equal(a76xx.localAddress, '10.18.146.200');
        const again = a76xx.createConnection(5253, '127.0.0.1');
        await within(once(again, 'connect'), 3_000, 'connect');
        assert.equal(again.linkNumber, 9);
        again.destroy();
        await within(closeOf(again), 3_000, 'close');
        // The background CIPCLOSE has been answered before the script ends.
        await new Promise((r) => setTimeout(r, 30));
      },
    }),
  );
}

for (const mode of ['push', 'buffer', 'transparent'] as const satisfies readonly SocketMode[]) {
  test(`failures [${mode}]: the transport closing mid-transfer errors every socket; nothing stays pending`, T, async () => {
    const echo = await startTcpServer();
    const em = await startEmulated({ mode });
    try {
      const tcp = em.a76xx.createConnection(echo.port, '127.0.0.1');
      await within(once(tcp, 'connect'), 3_000, 'connect');
      tcp.on('data', () => {});
      const others: (UdpSocket | TcpServer)[] = [];
      if (mode !== 'transparent') {
        const { udp, server } = await everything(em, echo.port).then(async (all) => {
          all.tcp.destroy();
          return all;
        });
        others.push(udp, server);
      }
      const errors = [tcp, ...others].map((s) => firstError(s));
      const closed = within(once(em.a76xx, 'close'), 3_000, 'the A76xx close event');
      // Cut while the writes are on their way.
      const writes = Array.from({ length: 4 }, () => new Promise<Error | null | undefined>((resolve) => tcp.write(Buffer.alloc(300_000, 2), resolve)));
      em.cut();
      await closed;
      for (const error of await Promise.all(errors)) assert.ok(error instanceof ChannelClosedError, String(error));
      const results = await within(Promise.all(writes), 3_000, 'every write callback');
      // In transparent mode a write is done when the transport took it; otherwise when the module confirmed it.
      if (mode !== 'transparent') for (const result of results) assert.ok(result instanceof Error, `write callback: ${String(result)}`);
      await assert.rejects(em.a76xx.resolve('echo.test'), ChannelClosedError);
      await assert.rejects(em.a76xx.modem.command('AT'), ChannelClosedError);
      assert.ok((await firstError(em.a76xx.createConnection(echo.port, '127.0.0.1'))) instanceof ChannelClosedError, '(await firstError(em.a76xx.createConnection(echo.port, \'127.0.0.1\'))) instanceof ChannelClosedError');
      await assert.rejects(em.a76xx.recover(), ChannelClosedError);
    } finally {
      await em.close();
      await echo.close();
    }
  });
}

test('failures: a module restart errors every socket; recover() brings it up again', T, async () => {
  const echo = await startTcpServer();
  const em = await startEmulated({ mode: 'push' });
  try {
    const { tcp, udp, server } = await everything(em, echo.port);
    const errors = [firstError(tcp), firstError(udp), firstError(server)];
    em.emulator.reboot();
    for (const error of await Promise.all(errors)) assert.ok(causeOf(error) instanceof ModuleResetError && (error as NodeJS.ErrnoException).code === 'ECONNRESET', String(error));
    await within(em.a76xx.recover(), 5_000, 'recover');
    const again = em.a76xx.createConnection(echo.port, '127.0.0.1');
    const back = within(once(again, 'data'), 3_000, 'echo');
    again.write('after restart');
    assert.equal(String((await back)[0]), 'after restart');
    again.destroy();
  } finally {
    await em.close();
    await echo.close();
  }
});

/** The driver's own error behind a socket error with Node's code (`SocketError.cause`). */
function causeOf(error: unknown): unknown {
  return error instanceof SocketError ? error.cause : error;
}
