import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { COMMANDS } from '../../src/emulator/commands/index.js';
import { OK, type CommandSpec } from '../../src/emulator/commands/types.js';

/**
 * The module owns its parts: each modem builds its own socket service, transparent mode and radio
 * timers, is given its command table, and ends everything scheduled in a life with that life's
 * AbortSignal.
 */

function harness(options: { commands?: ReadonlyMap<string, CommandSpec> } = {}) {
  const clock = new FakeClock();
  const modem = new EmulatedModem({ clock, config: { bootUrcs: false }, ...options });
  let out = '';
  modem.on('output', (b) => (out += b.toString('latin1')));
  const send = async (line: string, ending: '\r' | '\r\n' = '\r') => {
    out = '';
    modem.input(Buffer.from(`${line}${ending}`, 'latin1'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    return out;
  };
  return { clock, modem, send };
}

test('two modems share no part', () => {
  const a = new EmulatedModem();
  const b = new EmulatedModem();
  assert.notEqual(a.sockets, b.sockets);
  assert.notEqual(a.transparent, b.transparent);
  assert.notEqual(a.radioTimers, b.radioTimers);
  assert.notEqual(a.ssl, b.ssl);
});

for (const ending of ['\r', '\r\n'] as const) {
  test(`a modem answers from the command table it is given (${JSON.stringify(ending)})`, async () => {
    const table = new Map<string, CommandSpec>([
      ['E', COMMANDS.get('E') as CommandSpec],
      [
        '+HELLO',
        {
          exec: (ctx) => {
            ctx.info('+HELLO: world');
            return OK;
          },
        },
      ],
    ]);
    const { send } = harness({ commands: table });
    assert.equal(await send('ATE0', ending), 'ATE0\r\r\nOK\r\n');
    assert.equal(await send('AT+HELLO', ending), '\r\n+HELLO: world\r\n\r\nOK\r\n');
    assert.equal(await send('AT+CSQ', ending), '\r\nERROR\r\n');
  });
}

test('a reboot aborts the life: its timers never fire, the next life has a fresh signal', () => {
  const { clock, modem } = harness();
  const first = modem.life;
  let fired = 0;
  modem.radioTimers.after(1000, () => fired++);
  modem.sockets.schedule(1000, () => fired++);
  modem.reboot();
  assert.equal(first.aborted, true);
  assert.equal(first.reason, 'reboot');
  assert.notEqual(modem.life, first);
  assert.equal(modem.life.aborted, false);
  clock.advance(5000);
  assert.equal(fired, 0);
  modem.radioTimers.after(1000, () => fired++);
  clock.advance(1000);
  assert.equal(fired, 1);
});

test('AT+CPOF ends the life after its OK; power-on (reboot) begins a new one', async () => {
  const { modem, send } = harness();
  await send('ATE0');
  const life = modem.life;
  assert.equal(await send('AT+CPOF=1'), '\r\nOK\r\n\r\nPOWERD DOWN\r\n');
  assert.equal(life.aborted, true);
  assert.equal(life.reason, 'power-off');
  assert.equal(await send('AT'), '');
  modem.reboot();
  assert.equal(modem.life.aborted, false);
  assert.equal(await send('AT'), 'AT\r\r\nOK\r\n');
});
