/**
 * Real modules' output the driver must not misread (issue 12 §7), each from a recorded-module
 * fixture (test/fixtures/module): a query's answer is not a completion, `+IP ERROR: 8/5` mean
 * "closed already", NUL bytes at reset are noise and the command in flight fails at once, and a
 * second ERROR of a failed command does not answer the next. Timing on a fake clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtChannel, responseValue } from '../../src/driver/at-channel.js';
import { AtCommandError, ModuleResetError } from '../../src/driver/errors.js';
import { Modem } from '../../src/driver/modem.js';
import { FakeClock } from '../../src/time/clock.js';
import { CHUNKINGS, chunkingName, collect, withFixture } from './support/harness.js';

for (const chunking of CHUNKINGS) {
  const tag = chunkingName(chunking);

  test(`real module [${tag}]: AT+NETOPEN? while NETOPEN awaits its completion is answered, not taken for it`, () =>
    withFixture({
      fixture: 'netopen-query-during-completion.txt',
      chunking,
      make: (host) => new Modem(host),
      run: async (modem) => {
        const opening = modem.netOpen();
        const query = await modem.command('AT+NETOPEN?');
        assert.equal(responseValue(query, '+NETOPEN:'), '0', 'the query has its own answer (0 = closed)');
        assert.equal(modem.isNetworkOpen, false, 'not open before the completion');
        await opening;
        assert.equal(modem.isNetworkOpen, true);
      },
    }));

  test(`real module [${tag}]: +IP ERROR: 8 on CIPCLOSE and +IP ERROR: 5 on NETCLOSE mean closed already`, () =>
    withFixture({
      fixture: 'already-closed-sim7600.txt',
      chunking,
      make: (host) => new Modem(host, { errorSettleMs: 0 }),
      run: async (modem) => {
        await modem.closeLink(1);
        await modem.closeLink(2);
        await modem.netClose();
        await modem.netClose();
        assert.equal(modem.isNetworkOpen, false);
        assert.equal(modem.linkState(1), 'free');
      },
    }));

  test(`real module [${tag}]: NUL noise at reset; the command in flight fails at once with ModuleResetError`, () => {
    const clock = new FakeClock();
    return withFixture({
      fixture: 'reset-nul-pending.txt',
      chunking,
      make: (host) => new AtChannel(host, { clock, recoveryMs: 100 }),
      run: async (channel) => {
        const urcs: string[] = [];
        channel.on('urc', (line) => urcs.push(line));
        const resets = collect<[string]>((l) => channel.on('reset', l), 2);
        // A long timeout that never runs on the fake clock: only the boot line can end this.
        const error = await channel.command('AT+CSQ', { timeoutMs: 60_000 }).then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof ModuleResetError, String(error));
        assert.equal(error.line, '*ATREADY: 1');
        assert.match(String(error.stack), /real-module\.test\.ts/, "the caller's stack");
        await resets;
        assert.deepEqual(urcs, ['*ATREADY: 1', 'RDY'], 'NUL bytes are no line');
        const next = channel.command('AT');
        clock.advance(100); // the failed command's late answer is awaited this long
        assert.equal((await next).final, 'OK');
      },
    });
  });

  test(`real module [${tag}]: a second ERROR of a failed command does not fail the next one`, () => {
    const clock = new FakeClock();
    return withFixture({
      fixture: 'late-second-error.txt',
      chunking,
      make: (host) => new AtChannel(host, { clock }),
      run: async (channel) => {
        const strays = collect<[string]>((l) => channel.on('stray-final', l), 1);
        await assert.rejects(channel.command('AT+CIPCLOSE=0'), AtCommandError);
        const next = channel.command('AT');
        assert.deepEqual(await strays, [['ERROR']]);
        clock.advance(50); // the settle time after a failure
        assert.equal((await next).final, 'OK');
      },
    });
  });
}
