/**
 * A late answer on a fake clock (late-answers.ts): the channel gave up on a command (its timeout
 * and recovery time passed, or the module restarted with it in flight), wrote the next one, and
 * only then does the module answer the first — the load race behind "SIM needs an unknown code"
 * in the driver-sockets fuzz test, where every bring-up command got its predecessor's answer.
 * With echo on (as after every restart), the late answer starts with its command's echo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtCommandError, AtTimeoutError, ModuleResetError } from '../../src/driver/errors.js';
import { clockedChannel } from './support/clocked-module.js';

{
  const eol = '\r\n';
  test(`late answer (fake clock): an answer that comes after its command was given up is not the next command's`, async () => {
    const rig = clockedChannel({ timeouts: { '*': 1_000 }, recoveryMs: 50, errorSettleMs: 0 });
    try {
      const first = rig.channel.command('AT+CIPSEND=7,95', { data: Buffer.alloc(95, 1) });
      const firstFailed = assert.rejects(first, AtTimeoutError);
      await rig.advance(1_000, 50);
      await firstFailed;
      const second = rig.channel.command('AT+CPIN?');
      await rig.advance(50);
      assert.equal(rig.took(), `AT+CIPSEND=7,95\rAT+CPIN?\r`, 'the next command went out after the recovery time');
      // Now the first command's answer, then the second's (each after its echo).
      await rig.print(`AT+CIPSEND=7,95\r${eol}+CIPERROR: 4${eol}${eol}ERROR${eol}`);
      await rig.print(`AT+CPIN?\r${eol}+CPIN: READY${eol}${eol}OK${eol}`);
      const response = await second;
      assert.deepEqual(response.lines, ['+CPIN: READY']);
      assert.equal(response.final, 'OK');
    } finally {
      rig.close();
    }
  });
}

test('late answer (fake clock): after a restart, queued commands and the bring-up each get their own answers', async () => {
  const rig = clockedChannel({ timeouts: { '*': 5_000 }, recoveryMs: 50, errorSettleMs: 0 });
  try {
    const inFlight = rig.channel.command('AT+CIPSEND=7,95', { data: Buffer.alloc(95, 1) });
    const reset = assert.rejects(inFlight, ModuleResetError);
    const queued = rig.channel.command('AT+CIPSEND=6,12', { data: Buffer.alloc(12, 2) }).then(() => undefined, (error: unknown) => error);
    await rig.print('\r\n*ATREADY: 1\r\n\r\n+CPIN: READY\r\n');
    await reset;
    // The module takes longer than the recovery time to answer the command it got before booting.
    await rig.advance(60);
    await rig.print('AT+CIPSEND=7,95\r\r\n+CIPERROR: 4\r\n\r\nERROR\r\n');
    await rig.print('AT+CIPSEND=6,12\r\r\n+CIPERROR: 4\r\n\r\nERROR\r\n');
    const refused = await queued;
    assert.ok(refused instanceof AtCommandError && refused.final === 'ERROR', String(refused));
    const sync = rig.channel.command('AT');
    await rig.print('AT\r\r\nOK\r\n');
    assert.equal((await sync).final, 'OK');
    const pin = rig.channel.command('AT+CPIN?');
    await rig.print('AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n');
    assert.deepEqual((await pin).lines, ['+CPIN: READY']);
  } finally {
    rig.close();
  }
});
