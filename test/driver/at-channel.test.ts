import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtChannel, responseValue, type PushBlock } from '../../src/driver/at-channel.js';
import { AtCommandError, AtTimeoutError, ChannelClosedError, ModuleResetError } from '../../src/driver/errors.js';
import { CHUNKINGS, chunkingName, collect, withFixture } from './support/harness.js';
import { clockedChannel } from './support/clocked-module.js';

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but it resolved`);
}

for (const chunking of CHUNKINGS) {
  const tag = chunkingName(chunking);

  test(`channel [${tag}]: echo on, multi-line answer, URC inside it, bare info line`, () =>
    withFixture({
      fixture: 'multiline-echo.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const urcs: string[] = [];
        channel.on('urc', (line) => urcs.push(line));
        const ati = await channel.command('AT+SIMCOMATI');
        assert.deepEqual(ati.lines, [
          'Manufacturer: INCORPORATED',
          'Model: A7670E-FASE',
          'Revision: A011B09A7670M7_F',
          'A7670M7_B09V01_250619',
          'QCN:',
          'IMEI: 860470062749167',
          'MEID:',
          '+GCAP: +CGSM,+FCLASS,+DS',
          'DeviceInfo:',
        ]);
        assert.equal(ati.final, 'OK');
        assert.deepEqual(urcs, ['+CREG: 1']);
        assert.equal(channel.echo, 'on');
        const [imei, pin] = await Promise.all([channel.command('AT+CGSN'), channel.command('AT+CPIN?')]);
        assert.deepEqual(imei.lines, ['860470062749167']);
        assert.equal(responseValue(pin, '+CPIN:'), 'READY');
      },
    }));

  test(`channel [${tag}]: module errors become typed errors`, () =>
    withFixture({
      fixture: 'errors.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const results = await Promise.allSettled([
          channel.command('AT+CGACT=1,1'),
          channel.command('AT+CPIN?'),
          channel.command('AT+CIPRXGET=2,0'),
          channel.command('AT+CIPOPEN=10,"TCP","127.0.0.1",80'),
          channel.command('AT+CIPSEND=0,1501'),
          channel.command('AT+CDNSGIP="nowhere.invalid"'),
          channel.command('AT+IPADDR'),
          channel.command('AT+FOO'),
        ]);
        const errors = results.map((r) => {
          assert.equal(r.status, 'rejected');
          const e = (r as PromiseRejectedResult).reason as AtCommandError;
          assert.ok(e instanceof AtCommandError, String(e));
          assert.equal(e.code, 'A76XX_AT_ERROR');
          return e;
        });
        const [cme33, cme10, ip8, ipText, ciperror, dns, ipaddr, bare] = errors as AtCommandError[];
        assert.equal(cme33?.cmeCode, 133);
        assert.equal(cme33?.detail.cme?.text, 'requested service option not subscribed (#33)');
        assert.equal(cme10?.cmeCode, 10);
        assert.equal(cme10?.detail.cme?.text, 'SIM not inserted');
        assert.deepEqual(ip8?.detail.ipError, { code: 8, text: 'Network not opened' });
        assert.equal(ip8?.command, 'AT+CIPRXGET=2,0');
        assert.deepEqual(ipText?.detail.ipError, { code: 12, text: 'Invalid parameter' });
        assert.equal(ciperror?.err, 3);
        assert.equal(dns?.detail.dnsError, 10);
        assert.equal(ipaddr?.detail.ipError?.code, 8);
        assert.equal(bare?.final, 'ERROR');
        assert.deepEqual(bare?.detail, {});
        assert.match(ciperror?.message ?? '', /AT\+CIPSEND=0,1501: err 3 Wrong parameter/);
      },
    }));

  test(`channel [${tag}]: +CIPRXGET: 1,x inside a CIPRXGET=4 reply goes to its handler; raw and hex blocks`, () =>
    withFixture({
      fixture: 'rxget-buffer.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const notices: string[] = [];
        channel.onUrc('+CIPRXGET: 1,', (line) => notices.push(line));
        // The first notice comes before any command: wait for it so the handler has seen it.
        await collect<[string, boolean]>((l) => channel.on('urc', l), 1);
        const four = await channel.command('AT+CIPRXGET=4,1');
        assert.deepEqual(four.lines, ['+CIPRXGET: 4,1,16']);
        assert.deepEqual(notices, ['+CIPRXGET: 1,1', '+CIPRXGET: 1,2']);
        const raw = await channel.command('AT+CIPRXGET=2,1,5');
        assert.deepEqual(raw.lines, []);
        assert.deepEqual(raw.blocks.map((b) => [b.mode, b.link, b.rest, b.bytes.toString('latin1')]), [[2, 1, 11, 'data ']]);
        const hex = await channel.command('AT+CIPRXGET=3,1,5');
        assert.deepEqual(hex.blocks.map((b) => [b.mode, b.link, b.rest, b.bytes.toString('latin1')]), [[3, 1, 6, 'from ']]);
        const last = await channel.command('AT+CIPRXGET=2,1,1500');
        assert.equal(last.blocks[0]?.bytes.toString('latin1'), 'server');
        const none = await rejectsWith(channel.command('AT+CIPRXGET=2,1,1500'), AtCommandError);
        assert.deepEqual(none.detail.ipError, { code: 22, text: 'No data' });
        const tricky = await channel.command('AT+CIPRXGET=2,2,1500');
        assert.equal(tricky.blocks[0]?.bytes.toString('latin1'), '\r\nOK');
      },
    }));

  test(`channel [${tag}]: pushed data arrives as blocks whatever it contains`, () =>
    withFixture({
      fixture: 'push-ipd.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const blocks: PushBlock[] = [];
        channel.on('push', (b) => blocks.push(b));
        const open = await channel.command('AT+CIPOPEN=1,"TCP","127.0.0.1",5253', {
          responsePrefixes: ['+CIPOPEN: 1,'],
          completion: { match: (l) => l.startsWith('+CIPOPEN: 1,'), what: '+CIPOPEN: 1,<err>' },
        });
        assert.equal(open.completion, '+CIPOPEN: 1,0');
        const csq = await channel.command('AT+CSQ');
        assert.equal(responseValue(csq, '+CSQ:'), '20,99');
        assert.deepEqual(
          blocks.map((b) => [b.header, b.link, b.from?.address, b.from?.port, b.bytes.toString('latin1')]),
          [
            ['ipd', undefined, '127.0.0.1', 5253, 'data from server'],
            ['ipd', undefined, '127.0.0.1', 5253, '\r\nOK\r\n+IPD5\r\nERROR\r\n\r\n>'],
            ['ipd', undefined, '127.0.0.1', 5253, '\r\n'],
          ],
        );
      },
    }));

  test(`channel [${tag}]: OK before the completion, +CGEV lines between, then +CIPEVENT`, () =>
    withFixture({
      fixture: 'cipopen-network-lost.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const urcs: string[] = [];
        channel.on('urc', (line, handled) => urcs.push(`${handled ? '+' : '-'}${line}`));
        const open = await channel.command('AT+CIPOPEN=0,"TCP","postman-echo.com",80', {
          completion: { match: (l) => l.startsWith('+CIPOPEN: 0,'), what: '+CIPOPEN: 0,<err>' },
        });
        assert.equal(open.final, 'OK');
        assert.equal(open.completion, '+CIPOPEN: 0,0');
        const send = await rejectsWith(channel.command('AT+CIPSEND=0,5', { data: Buffer.from('hello') }), AtCommandError);
        assert.equal(send.err, 4);
        const four = await channel.command('AT+CIPRXGET=4,0');
        assert.deepEqual(four.lines, ['+CIPRXGET: 4,0,0']);
        const close = await rejectsWith(channel.command('AT+CIPCLOSE=0'), AtCommandError);
        assert.deepEqual([close.detail.index, close.err], [0, 4]);
        const net = await rejectsWith(channel.command('AT+NETCLOSE'), AtCommandError);
        assert.equal(net.err, 2);
        assert.deepEqual(urcs, [
          '-+CGEV: NW PDN DEACT 1',
          '-+CGEV: ME DETACH',
          '-+CGEV: EPS PDN ACT 1',
          '++CIPOPEN: 0,0',
          '-+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY',
        ]);
      },
    }));

  test(`channel [${tag}]: CIPSEND prompt with and without a space; data echo consumed`, async () => {
    await withFixture({
      fixture: 'cipsend-prompts.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const a = await channel.command('AT+CIPSEND=1,5', {
          data: Buffer.from('HELLO'),
          completion: { match: (l) => l.startsWith('+CIPSEND: 1,'), what: '+CIPSEND' },
        });
        assert.equal(a.completion, '+CIPSEND: 1,5,5');
        const b = await channel.command('AT+CIPSEND=1,14', {
          data: Buffer.from('\r\nOK\r\n+IPD5\r\nX', 'latin1'),
          completion: { match: (l) => l.startsWith('+CIPSEND: 1,'), what: '+CIPSEND' },
        });
        assert.equal(b.completion, '+CIPSEND: 1,14,14');
        const c = await channel.command('AT+CIPSEND=2,4,"127.0.0.1",5254', {
          data: Buffer.from('ping'),
          completion: { match: (l) => l.startsWith('+CIPSEND: 2,'), what: '+CIPSEND' },
        });
        assert.equal(c.completion, '+CIPSEND: 2,4,4');
      },
    });
    await withFixture({
      fixture: 'cipsend-echo.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const b = await channel.command('AT+CIPSEND=1,14', {
          data: Buffer.from('\r\nOK\r\n+IPD5\r\nX', 'latin1'),
          completion: { match: (l) => l.startsWith('+CIPSEND: 1,'), what: '+CIPSEND' },
        });
        assert.deepEqual([b.lines, b.completion], [[], '+CIPSEND: 1,14,14']);
        const c = await channel.command('AT+CIPSEND=1,3', {
          data: Buffer.from(' ab'),
          completion: { match: (l) => l.startsWith('+CIPSEND: 1,'), what: '+CIPSEND' },
        });
        assert.deepEqual([c.lines, c.completion], [[], '+CIPSEND: 1,3,3']);
      },
    });
  });

  test(`channel [${tag}]: transparent mode: CONNECT, raw bytes, +++ and OK, commands again`, () =>
    withFixture({
      fixture: 'transparent.txt',
      chunking,
      make: (host) => new AtChannel(host),
      run: async (channel) => {
        const raw: Buffer[] = [];
        channel.on('passthrough', (b) => raw.push(b));
        const modes: boolean[] = [];
        channel.on('data-mode', (entered) => modes.push(entered));
        const open = await channel.command('AT+CIPOPEN=0,"TCP","127.0.0.1",5253', {
          completion: { match: (l) => l.startsWith('+CIPOPEN: 0,'), what: '+CIPOPEN' },
        });
        assert.equal(open.final, 'CONNECT 115200');
        assert.equal(channel.inDataMode, true);
        // A command asked for in data mode waits until the mode is left.
        const close = channel.command('AT+CIPCLOSE=0', {
          completion: { match: (l) => l.startsWith('+CIPCLOSE: 0,'), what: '+CIPCLOSE' },
        });
        const until = Date.now() + 2_000;
        while (Buffer.concat(raw).length < 'raw \r\nOK\r\n bytes'.length && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
        channel.writeData(Buffer.from('hello'));
        await channel.escapeDataMode({ guardMs: 20 });
        assert.equal(Buffer.concat(raw).toString('latin1'), 'raw \r\nOK\r\n bytesmore');
        assert.equal((await close).completion, '+CIPCLOSE: 0,0');
        assert.deepEqual(modes, [true, false]);
      },
    }));
}

test('channel: a late answer after a timeout is absorbed, not given to the next command', () =>
  withFixture({
    fixture: 'timeout-late-answer.txt',
    make: (host) => new AtChannel(host, { timeouts: { default: 40 }, recoveryMs: 1_000 }),
    run: async (channel) => {
        const stray: string[] = [];
        channel.on('stray-final', (line) => stray.push(line));
        const csq = channel.command('AT+CSQ');
        const creg = channel.command('AT+CGREG?');
        const error = await rejectsWith(csq, AtTimeoutError);
        assert.equal(error.code, 'A76XX_AT_TIMEOUT');
        assert.equal(error.command, 'AT+CSQ');
        assert.equal(error.waitingFor, 'final result');
        assert.equal(error.timeoutMs, 40);
        assert.match(error.message, /AT\+CSQ: no final result after 40 ms/);
        const reply = await creg;
        assert.deepEqual(reply.lines, ['+CGREG: 0,1']);
        assert.deepEqual(stray, ['OK']);
    },
  }));

test('channel (fake clock): prompt and completion timeouts say what they waited for, at the stated time', async () => {
  const rig = clockedChannel({ timeouts: { '*': 50 }, recoveryMs: 60, errorSettleMs: 0 });
  try {
    const send = rejectsWith(rig.channel.command('AT+CIPSEND=0,5', { data: Buffer.from('hello') }), AtTimeoutError);
    let sendDone = false;
    void send.then(() => (sendDone = true));
    await rig.advance(49, 1);
    assert.equal(sendDone, false, 'no timeout before 50 ms');
    await rig.advance(1, 1);
    const sendError = await send;
    assert.equal(sendError.waitingFor, 'prompt ">"');
    assert.equal(sendError.timeoutMs, 50);
    assert.equal(rig.took(), 'AT+CIPSEND=0,5\r', 'the data never went out without its prompt');
    const open = rejectsWith(
      rig.channel.command('AT+NETOPEN', { completion: { match: (l) => l.startsWith('+NETOPEN:'), what: '+NETOPEN: <err>', timeoutMs: 30 } }),
      AtTimeoutError,
    );
    await rig.advance(60, 1);
    assert.equal(rig.took(), 'AT+NETOPEN\r', 'written after the recovery time');
    await rig.print('\r\nOK\r\n');
    await rig.advance(30, 1);
    const openError = await open;
    assert.equal(openError.waitingFor, '+NETOPEN: <err>');
    assert.equal(openError.timeoutMs, 30);
  } finally {
    rig.close();
  }
});

test('channel: transport closing mid-command rejects everything with ChannelClosedError', () =>
  withFixture({
    fixture: 'close-mid-command.txt',
    make: (host) => new AtChannel(host),
    allowLeftover: true,
    run: async (channel) => {
      const open = channel.command('AT+NETOPEN', { completion: { match: (l) => l.startsWith('+NETOPEN:'), what: '+NETOPEN' } });
      const queued = [channel.command('AT+CSQ'), channel.command('AT+CGREG?')];
      const waiting = channel.waitFor((l) => l === 'never', { timeoutMs: 10_000, what: 'never' });
      const closed = collect<[ChannelClosedError]>((l) => channel.on('close', l), 1);
      const all = await Promise.allSettled([open, ...queued, waiting]);
      for (const r of all) {
        assert.equal(r.status, 'rejected');
        const e = (r as PromiseRejectedResult).reason as Error;
        assert.ok(e instanceof ChannelClosedError, String(e));
        assert.equal((e as ChannelClosedError).code, 'A76XX_CHANNEL_CLOSED');
      }
      assert.match(((all[0] as PromiseRejectedResult).reason as Error).message, /AT\+NETOPEN: channel closed/);
      await closed;
      assert.equal(channel.closed, true);
      await rejectsWith(channel.command('AT'), ChannelClosedError);
      await rejectsWith(channel.waitFor(() => true, { timeoutMs: 10, what: 'x' }), ChannelClosedError);
    },
  }));

test('channel: a module reset rejects awaited completions with ModuleResetError', () =>
  withFixture({
    fixture: 'reset-during-open.txt',
    make: (host) => new AtChannel(host),
    run: async (channel) => {
      const resets: string[] = [];
      channel.on('reset', (line) => resets.push(line));
      const open = channel.command('AT+CIPOPEN=9,"TCP","127.0.0.1",5253', {
        completion: { match: (l) => l.startsWith('+CIPOPEN: 9,'), what: '+CIPOPEN: 9,<err>' },
      });
      const error = await rejectsWith(open, ModuleResetError);
      assert.equal(error.code, 'A76XX_MODULE_RESET');
      assert.deepEqual(resets, ['RDY']);
      assert.equal(channel.echo, 'unknown');
      assert.equal((await channel.command('AT')).final, 'OK');
    },
  }));

test('channel: throwing URC handlers and listeners do not break the line discipline', () =>
  withFixture({
    fixture: 'cip-event-app-note.txt',
    make: (host) => new AtChannel(host),
    run: async (channel) => {
      const seen: string[] = [];
      const failures: unknown[] = [];
      channel.on('listener-error', (error) => failures.push(error));
      channel.onUrc('+CIP EVENT:', () => {
        throw new Error('handler bug');
      });

      channel.onUrc('+CIP EVENT:', (line) => seen.push(line));
      const urc = collect<[string, boolean]>((l) => channel.on('urc', l), 1);
      channel.on('urc', () => {
        throw new Error('listener bug');
      });
      await urc;
      const r = await channel.command('AT+NETOPEN?');
      assert.equal(responseValue(r, '+NETOPEN:'), '0');
      assert.deepEqual(seen, ['+CIP EVENT: NETWORK CLOSED UNEXPECTEDLY']);
      assert.deepEqual(
        failures.map((e) => (e as Error).message),
        ['handler bug', 'listener bug'],
      );
    },
  }));
