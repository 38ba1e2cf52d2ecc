import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { responseValue } from '../../src/driver/at-channel.js';
import { DIALECTS } from '../../src/emulator/dialect.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import { startEmulated, startTcpServer, within } from './support/emulated.js';

const T = { timeout: 15_000 };

function received(socket: TcpSocket): { bytes: () => Buffer; until: (length: number) => Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let total = 0;
  const waiters: { length: number; resolve: () => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    total += chunk.length;
    for (const w of [...waiters]) if (total >= w.length) w.resolve();
  });
  return {
    bytes: () => Buffer.concat(chunks),
    until: async (length) => {
      if (total < length) await within(new Promise<void>((resolve) => waiters.push({ length, resolve })), 5_000, `${length} bytes`);
      return Buffer.concat(chunks);
    },
  };
}

test('transparent: "\\r\\nCLOSED\\r\\n" inside the data is data: the +++ probe gets OK, ATO resumes, nothing lost', T, async () => {
  const echo = await startTcpServer();
  const em = await startEmulated({ mode: 'transparent' });
  try {
    const socket = em.a76xx.createConnection(echo.port, '127.0.0.1');
    await within(once(socket, 'connect'), 3_000, 'connect');
    const rx = received(socket);
    const channel = em.a76xx.modem.channel;
    let candidates = 0;
    channel.on('close-candidate', () => candidates++);
    const modes: string[] = [];
    channel.on('data-mode', (entered, line) => modes.push(`${entered ? 'in' : 'out'} ${line}`));
    const first = Buffer.from('before\r\nCLOSED\r\nafter', 'latin1');
    socket.write(first);
    assert.ok((await rx.until(first.length)).equals(first), '(await rx.until(first.length)).equals(first)');
    // Written while the probe runs: held, then sent after ATO.
    socket.write('more');
    const all = await rx.until(first.length + 4);
    assert.equal(all.toString('latin1'), 'before\r\nCLOSED\r\naftermore');
    assert.equal(candidates, 1);
    assert.deepEqual(modes, ['out OK', 'in CONNECT 115200']);
    assert.equal(channel.inDataMode, true);
    assert.equal(em.a76xx.modem.linkState(0), 'open');
    socket.end();
    await within(once(socket, 'close'), 3_000, 'close');
    assert.equal(em.a76xx.modem.linkState(0), 'free');
  } finally {
    await em.close();
    await echo.close();
  }
});

test('transparent: commandMode runs AT commands between +++ and ATO; data the peer sent meanwhile arrives after', T, async () => {
  let peer: Socket | undefined;
  const server = await startTcpServer((s) => {
    peer = s;
  });
  const em = await startEmulated({ mode: 'transparent' });
  try {
    const socket = em.a76xx.createConnection(server.port, '127.0.0.1');
    await within(once(socket, 'connect'), 3_000, 'connect');
    const rx = received(socket);
    const csq = await em.a76xx.commandMode(async (modem) => {
      assert.equal(modem.channel.inDataMode, false);
      peer?.write('while in command mode');
      await new Promise((r) => setTimeout(r, 50));
      return responseValue(await modem.command('AT+CSQ'), '+CSQ:');
    });
    assert.equal(csq, '20,99');
    assert.equal(em.a76xx.modem.channel.inDataMode, true);
    assert.equal((await rx.until(21)).toString(), 'while in command mode');
    socket.destroy();
    await within(once(socket, 'close'), 3_000, 'close');
  } finally {
    await em.close();
    await server.close();
  }
});

test('transparent: a peer close announced as CLOSED then +IPCLOSE: 0,1 (dialect variant) ends the socket once', T, async () => {
  const server = await startTcpServer((s) => s.end('bye'));
  const em = await startEmulated({ mode: 'transparent', config: { dialect: { ...DIALECTS.a76xx, transparentCloseIpclose: true } } });
  try {
    const socket = em.a76xx.createConnection(server.port, '127.0.0.1');
    const rx = received(socket);
    await within(once(socket, 'end'), 3_000, 'end');
    assert.equal(rx.bytes().toString(), 'bye');
    await within(once(socket, 'close'), 3_000, 'close');
    assert.equal(em.a76xx.modem.channel.inDataMode, false);
    assert.equal(em.a76xx.modem.linkState(0), 'free');
    // The module is usable again: a second connection.
    const again = em.a76xx.createConnection(server.port, '127.0.0.1');
    const rx2 = received(again);
    await within(once(again, 'end'), 3_000, 'end');
    assert.equal(rx2.bytes().toString(), 'bye');
  } finally {
    await em.close();
    await server.close();
  }
});

test('transparent: one connection at a time (link 0): a second connect waits for the first to end', T, async () => {
  const echo = await startTcpServer();
  const em = await startEmulated({ mode: 'transparent' });
  try {
    const first = em.a76xx.createConnection(echo.port, '127.0.0.1');
    await within(once(first, 'connect'), 3_000, 'connect');
    const second = em.a76xx.createConnection(echo.port, '127.0.0.1');
    let secondConnected = false;
    second.on('connect', () => (secondConnected = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(secondConnected, false, 'link 0 is still the first connection\'s');
    first.destroy();
    await within(once(second, 'connect'), 3_000, 'the second connect, once link 0 is free');
    second.write('after');
    const [echoed] = (await within(once(second, 'data'), 3_000, 'echo')) as [Buffer];
    assert.equal(echoed.toString(), 'after');
    second.destroy();
    await within(once(second, 'close'), 3_000, 'close');
  } finally {
    await em.close();
    await echo.close();
  }
});
