import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Modem, type AcceptedClient } from '../../src/driver/modem.js';
import { AtCommandError, DriverStateError, NetworkLostError, SendFailedError } from '../../src/driver/errors.js';
import type { RemoteAddress } from '../../src/at/module-output-framer.js';
import { CHUNKINGS, chunkingName, collect, withFixture } from './support/harness.js';

const fast = { pollIntervalMs: 10, syncTimeoutMs: 200 } as const;

for (const chunking of CHUNKINGS) {
  const tag = chunkingName(chunking);

  test(`modem [${tag}]: bring-up of a fresh module (echo on → ATE0, push mode)`, () =>
    withFixture({
      fixture: 'bringup-echo-default.txt',
      chunking,
      make: (host) => new Modem(host, { ...fast, apn: 'internet' }),
      run: async (modem) => {
        const info = await modem.bringUp();
        assert.deepEqual(info, { ip: '10.148.0.17', rssi: 26, registration: { cgreg: 1, cereg: undefined }, echo: false });
        assert.equal(modem.channel.echo, 'off');
        assert.equal(modem.isNetworkOpen, true);
        assert.equal(modem.receiveMode, 'push');
      },
    }));

  test(`modem [${tag}]: bring-up during boot: URCs inside replies, SIM late, CEREG roaming, echo kept`, () =>
    withFixture({
      fixture: 'bringup-during-boot.txt',
      chunking,
      make: (host) => new Modem(host, { ...fast, keepEcho: true, receiveMode: 'buffer' }),
      run: async (modem) => {
        const resets: string[] = [];
        modem.on('reset', (line) => resets.push(line));
        const info = await modem.bringUp();
        assert.deepEqual(info, { ip: '10.35.123.95', rssi: 14, registration: { cgreg: 0, cereg: 5 }, echo: true });
        assert.deepEqual(resets, ['*ATREADY: 1']);
        assert.equal(modem.isNetworkOpen, true);
      },
    }));
}

test('modem: bring-up when NETOPEN answers a bare ERROR and CIPMODE needs the network closed', () =>
  withFixture({
    fixture: 'bringup-netopen-bare-error.txt',
    make: (host) => new Modem(host, { ...fast, pushHeader: 'receive' }),
    run: async (modem) => {
      const info = await modem.bringUp();
      assert.equal(info.ip, '10.18.146.147');
      assert.equal(info.rssi, 99);
      assert.deepEqual(info.registration, { cgreg: 5, cereg: undefined });
    },
  }));

test('modem: Modem.open over a transport brings the module up', async () => {
  const { createMemoryPair } = await import('../../src/driver/transports/memory.js');
  const { replayModule, loadFixture } = await import('./support/module-replay.js');
  const { host, module } = createMemoryPair();
  const replay = replayModule(module, loadFixture('bringup-echo-default.txt'));
  const modem = await Modem.open(host, { ...fast, apn: 'internet' });
  await replay.done;
  assert.equal(modem.info?.ip, '10.148.0.17');
  await modem.close();
  assert.equal(modem.channel.closed, true);
});

test('modem: bring-up gives up on a silent port after its AT attempts', async () => {
  const { createMemoryPair } = await import('../../src/driver/transports/memory.js');
  const { host } = createMemoryPair();
  const started = Date.now();
  await assert.rejects(
    Modem.open(host, { syncAttempts: 3, syncTimeoutMs: 20, recoveryMs: 10, escapeGuardMs: 10 }),
    (error: unknown) => error instanceof DriverStateError && /no answer to AT after 3 attempts/.test(error.message),
  );
  assert.ok(Date.now() - started < 2_000);
});

for (const chunking of CHUNKINGS) {
  const tag = chunkingName(chunking);

  test(`modem [${tag}]: LilyGo#110 — OK, +CGEV…, +CIPOPEN: 0,0, network lost, dead-link errors tolerated`, () =>
    withFixture({
      fixture: 'cipopen-network-lost.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        const lost = collect<[NetworkLostError]>((l) => modem.on('network-lost', l), 1);
        await modem.openTcp(modem.allocateLink(0), 'postman-echo.com', 80);
        const [[error]] = await lost;
        assert.ok(error instanceof NetworkLostError);
        assert.equal(error.code, 'A76XX_NETWORK_LOST');
        assert.equal(modem.linkState(0), 'closed');
        await assert.rejects(modem.send(0, Buffer.from('hello')), (e: unknown) => e instanceof AtCommandError && e.err === 4);
        assert.equal(await modem.available(0), 0);
        await modem.closeLink(0);
        await modem.netClose();
        assert.equal(modem.isNetworkOpen, false);
      },
    }));

  test(`modem [${tag}]: completion shapes — async TCP, sync UDP, crossing completions, failures`, () =>
    withFixture({
      fixture: 'open-close-shapes.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        const tcp = modem.allocateLink();
        const udp = modem.allocateLink();
        assert.deepEqual([tcp, udp], [9, 8]);
        await Promise.all([modem.openTcp(tcp, '127.0.0.1', 5253), modem.openUdp(udp, 5000)]);
        assert.deepEqual([modem.linkState(9), modem.linkState(8)], ['open', 'open']);
        const refused = await modem.openTcp(modem.allocateLink(), '10.0.0.1', 1).then(
          () => assert.fail('resolved'),
          (e: unknown) => e as AtCommandError,
        );
        assert.ok(refused instanceof AtCommandError);
        assert.deepEqual([refused.final, refused.err, refused.detail.index, refused.detail.line], ['OK', 1, 7, '+CIPOPEN: 7,1']);
        modem.releaseLink(7);
        await modem.closeLink(8);
        await modem.closeLink(9);
        assert.deepEqual([modem.linkState(9), modem.linkState(8)], ['closed', 'closed']);
        await modem.startServer(8080, 0);
        await modem.stopServer(0);
        await modem.startServer(9090, 1);
        await modem.stopServer(1);
        await assert.rejects(modem.startServer(8080, 0), (e: unknown) => e instanceof AtCommandError && e.err === 7);
      },
    }));

  test(`modem [${tag}]: sends — prompts with and without space, UDP destination, framing-like payloads`, () =>
    withFixture({
      fixture: 'cipsend-prompts.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        // Two writes on one link queue behind each other, in order.
        const results = await Promise.all([modem.send(1, Buffer.from('HELLO')), modem.send(1, Buffer.from('\r\nOK\r\n+IPD5\r\nX', 'latin1'))]);
        assert.deepEqual(results, [5, 14]);
        assert.equal(await modem.send(2, Buffer.from('ping'), { address: '127.0.0.1', port: 5254 }), 4);
      },
    }));

  test(`modem [${tag}]: sends with echo on: the data echo is consumed`, () =>
    withFixture({
      fixture: 'cipsend-echo.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        assert.equal(await modem.send(1, Buffer.from('\r\nOK\r\n+IPD5\r\nX', 'latin1')), 14);
        assert.equal(await modem.send(1, Buffer.from(' ab')), 3);
      },
    }));

  test(`modem [${tag}]: push data is routed to its link (RECV FROM / only link / +RECEIVE)`, () =>
    withFixture({
      fixture: 'push-ipd.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        const data: [number, string, RemoteAddress | undefined][] = [];
        modem.on('data', (link, bytes, from) => data.push([link, bytes.toString('latin1'), from]));
        const readable = collect<[number]>((l) => modem.on('readable', l), 1);
        await modem.openTcp(modem.allocateLink(1), '127.0.0.1', 5253);
        await modem.command('AT+CSQ');
        assert.deepEqual(await readable, [[1]]);
        const from = { address: '127.0.0.1', port: 5253 };
        assert.deepEqual(data, [
          [1, 'data from server', from],
          [1, '\r\nOK\r\n+IPD5\r\nERROR\r\n\r\n>', from],
          [1, '\r\n', from],
        ]);
      },
    }));

  test(`modem [${tag}]: buffer mode reads (CIPRXGET 4/2), notices for other links, "No data"`, () =>
    withFixture({
      fixture: 'rxget-buffer.txt',
      chunking,
      make: (host) => new Modem(host, { receiveMode: 'buffer' }),
      run: async (modem) => {
        const readable: number[] = [];
        const first = collect<[number]>((l) => modem.on('readable', l), 1);
        modem.on('readable', (link) => readable.push(link));
        await first;
        assert.equal(await modem.available(1), 16);
        const a = await modem.read(1, 5);
        assert.deepEqual([a.bytes.toString('latin1'), a.rest], ['data ', 11]);
        const hex = await modem.command('AT+CIPRXGET=3,1,5');
        assert.equal(hex.blocks[0]?.bytes.toString('latin1'), 'from ');
        const b = await modem.read(1);
        assert.deepEqual([b.bytes.toString('latin1'), b.rest], ['server', 0]);
        const none = await modem.read(1);
        assert.deepEqual([none.bytes.length, none.rest], [0, 0]);
        const c = await modem.read(2);
        assert.equal(c.bytes.toString('latin1'), '\r\nOK');
        assert.deepEqual(readable, [1, 2]);
      },
    }));
}

test('modem: a long write is chunked at 1500 and paced by +CIPSEND; cnf 0 and Busy are retried, -1 fails the write', () =>
  withFixture({
    fixture: 'cipsend-chunked.txt',
    vars: { A1500: 'a'.repeat(1500), B1500: 'b'.repeat(1500), C200: 'c'.repeat(200) },
    make: (host) => new Modem(host),
    run: async (modem) => {
      const data = Buffer.from('a'.repeat(1500) + 'b'.repeat(1500) + 'c'.repeat(200));
      const error = await modem.send(3, data).then(
        () => assert.fail('resolved'),
        (e: unknown) => e as SendFailedError,
      );
      assert.ok(error instanceof SendFailedError);
      assert.deepEqual([error.code, error.link, error.requested, error.confirmed], ['A76XX_SEND_FAILED', 3, 200, -1]);
    },
  }));

test('modem: sends on two links overlap (link 4 does not wait for link 3\'s confirmation); each link keeps one unconfirmed CIPSEND', () =>
  withFixture({
    fixture: 'cipsend-across-links.txt',
    make: (host) => new Modem(host),
    run: async (modem) => {
      const done: string[] = [];
      const first = modem.send(3, Buffer.from('HELLO')).then((n) => done.push(`3:${n}`));
      const other = modem.send(4, Buffer.from('WORLD')).then((n) => done.push(`4:${n}`));
      const again = modem.send(3, Buffer.from('AGAIN')).then((n) => done.push(`3:${n}`));
      await Promise.all([first, other, again]);
      assert.deepEqual(done, ['3:5', '4:5', '3:5'], 'each send resolves on its own link\'s confirmation');
    },
  }));

test('modem: +RECEIVE pushes name their links; accepted clients and peer closes update the link table', () =>
  withFixture({
    fixture: 'server-clients.txt',
    make: (host) => new Modem(host),
    run: async (modem) => {
      const clients = collect<[AcceptedClient]>((l) => modem.on('client', l), 2);
      const closed = collect<[number, number]>((l) => modem.on('link-closed', l), 1);
      const data = collect<[number, Buffer, RemoteAddress | undefined]>((l) => modem.on('data', l), 1);
      await modem.startServer(8080, 0);
      assert.deepEqual(
        (await clients).map(([c]) => c),
        [
          { link: 0, server: 0, remote: { address: '192.168.108.5', port: 57202 } },
          { link: 1, server: 0, remote: { address: '192.168.108.6', port: 40000 } },
        ],
      );
      const [[link, bytes]] = await data;
      assert.deepEqual([link, bytes.toString()], [1, 'abc']);
      assert.deepEqual(await closed, [[0, 1]]);
      assert.deepEqual([modem.linkState(0), modem.linkState(1)], ['closed', 'open']);
      assert.equal(modem.allocateLink(), 9);
      const state = await modem.command('AT+CIPOPEN?');
      assert.equal(state.lines.length, 10);
    },
  }));

test('modem: push data with several links and no RECV FROM match is reported unrouted', () =>
  withFixture({
    fixture: 'push-receive.txt',
    make: (host) => new Modem(host),
    run: async (modem) => {
      const data: [number, string][] = [];
      modem.on('data', (link, bytes) => data.push([link, bytes.toString('latin1')]));
      await modem.command('AT');
      assert.deepEqual(data, [
        [4, 'HELLO'],
        [6, '\r\nOK\r\n'],
        [4, ''],
      ]);
    },
  }));

test('modem: link allocation — highest free first, preferred links, exhaustion, bad numbers', async () => {
  const { createMemoryPair } = await import('../../src/driver/transports/memory.js');
  const { host } = createMemoryPair();
  const modem = new Modem(host);
  assert.equal(modem.allocateLink(0), 0);
  assert.throws(() => modem.allocateLink(0), DriverStateError);
  const rest = Array.from({ length: 9 }, () => modem.allocateLink());
  assert.deepEqual(rest, [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.throws(() => modem.allocateLink(), /no free link/);
  modem.releaseLink(4);
  assert.equal(modem.linkState(4), 'free');
  assert.equal(modem.allocateLink(), 4);
  assert.throws(() => modem.allocateLink(10), RangeError);
  assert.throws(() => modem.linkState(-1), RangeError);
  await assert.rejects(modem.send(0, Buffer.alloc(1501), { address: '127.0.0.1', port: 1 }), RangeError);
  await modem.close();
});

test('modem: network loss (+CIP EVENT:) rejects a send waiting for its confirmation', () =>
  withFixture({
    fixture: 'network-lost-during-send.txt',
    make: (host) => new Modem(host),
    run: async (modem) => {
      const lost = collect<[NetworkLostError]>((l) => modem.on('network-lost', l), 1);
      await assert.rejects(modem.send(0, Buffer.from('hello')), (e: unknown) => e instanceof NetworkLostError && e.line.startsWith('+CIP EVENT:'));
      await lost;
      assert.equal(modem.isNetworkOpen, false);
      const state = await modem.command('AT+NETOPEN?');
      assert.deepEqual(state.lines, ['+NETOPEN: 0']);
    },
  }));

test('modem: SIM PIN entered once; transparent + buffer bring-up', () =>
  withFixture({
    fixture: 'bringup-sim-pin.txt',
    make: (host) => new Modem(host, { ...fast, pin: '1234', transparent: true, receiveMode: 'buffer' }),
    run: async (modem) => {
      const info = await modem.bringUp();
      assert.deepEqual([info.ip, info.rssi], ['10.0.0.2', 31]);
    },
  }));

test('modem: a wrong SIM PIN fails bring-up without a second try', () =>
  withFixture({
    fixture: 'bringup-sim-pin-wrong.txt',
    make: (host) => new Modem(host, { ...fast, pin: '0000' }),
    run: async (modem) => {
      await assert.rejects(modem.bringUp(), (e: unknown) => e instanceof DriverStateError && /SIM PIN refused.*incorrect password/.test(e.message));
    },
  }));

test('modem: bring-up of a module left with numeric result codes (ATV0): ATQ0V1 restores verbose ones', () =>
  withFixture({
    fixture: 'bringup-numeric-results.txt',
    make: (host) => new Modem(host, { ...fast, syncTimeoutMs: 100, recoveryMs: 50 }),
    run: async (modem) => {
      const info = await modem.bringUp();
      assert.equal(info.rssi, 17);
      assert.equal(modem.isNetworkOpen, true);
    },
  }));
