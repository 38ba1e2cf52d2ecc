import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { announceRegistration } from '../../src/emulator/radio/registration.js';
import { announceSignal } from '../../src/emulator/radio/signal.js';
import { registrationSnapshot } from '../../src/emulator/radio/registration.js';

/** A modem on a fake clock with echo off; `send` runs one line and returns what it printed. */
async function harness(config = {}) {
  const clock = new FakeClock();
  const modem = new EmulatedModem({ clock, config: { bootUrcs: false, ...config } });
  let out = '';
  modem.on('output', (b) => (out += b.toString('latin1')));
  const take = () => {
    const text = out;
    out = '';
    return text;
  };
  const send = async (line: string) => {
    modem.input(Buffer.from(`${line}\r`, 'latin1'));
    await new Promise<void>((resolve) => setImmediate(resolve));
    return take();
  };
  await send('ATE0');
  return { clock, modem, send, take };
}

test('AT+AUTOCSQ=1,0 reports +CSQ every 5 s until switched off', async () => {
  const { clock, modem, send, take } = await harness();
  assert.equal(await send('AT+AUTOCSQ=1'), '\r\nOK\r\n');
  clock.advance(4999);
  assert.equal(take(), '');
  clock.advance(1);
  assert.equal(take(), '\r\n+CSQ: 20,99\r\n');
  modem.state.radio.rssi = 25;
  clock.advance(5000);
  assert.equal(take(), '\r\n+CSQ: 25,99\r\n');
  // Setting it again restarts the period rather than adding a second timer.
  clock.advance(2000);
  await send('AT+AUTOCSQ=1,0');
  clock.advance(4000);
  assert.equal(take(), '');
  clock.advance(1000);
  assert.equal(take(), '\r\n+CSQ: 25,99\r\n');
  assert.equal(await send('AT+AUTOCSQ=0'), '\r\nOK\r\n');
  clock.advance(20000);
  assert.equal(take(), '');
  assert.equal(clock.pending, 0);
});

test('AT+AUTOCSQ=1,1 reports on change only, when the control plane announces one', async () => {
  const { clock, modem, send, take } = await harness();
  announceSignal(modem);
  assert.equal(take(), '');
  await send('AT+AUTOCSQ=1,1');
  clock.advance(60000);
  assert.equal(take(), '');
  modem.state.radio.rssi = 7;
  modem.state.radio.ber = 2;
  announceSignal(modem);
  assert.equal(take(), '\r\n+CSQ: 7,2\r\n');
});

test('a reboot stops the AUTOCSQ timer', async () => {
  const { clock, modem, send, take } = await harness();
  await send('AT+AUTOCSQ=1');
  modem.reboot();
  take();
  clock.advance(10000);
  assert.equal(take(), '');
  assert.equal(clock.pending, 0);
});

test('AT+IPR: the read form shows the new rate at once, the line switches after the OK', async () => {
  const { clock, modem, send } = await harness();
  assert.equal(modem.state.serial.lineBaud, 115200);
  assert.equal(await send('AT+IPR=9600'), '\r\nOK\r\n');
  assert.equal(modem.state.serial.baud, 9600);
  // The OK left as one burst at 115200 (a paced line takes a chunk at the rate it was written at);
  // the line follows as soon as it is out (pacing.test.ts times it on a paced line).
  assert.equal(modem.state.serial.lineBaud, 9600);
  assert.equal(modem.connectText(), 'CONNECT 9600');
  // IPR is lost on reboot, IPREX is not.
  await send('AT+IPREX=57600');
  clock.advance(0);
  await send('AT+IPR=230400');
  modem.reboot();
  assert.equal(modem.state.serial.baud, 57600);
  assert.equal(modem.state.serial.lineBaud, 57600);
});

test('AT+CRESET reboots after the configured latency, once the OK is out', async () => {
  const { clock, send, take } = await harness({ latency: { reboot: 3000 } });
  assert.equal(await send('AT+CRESET'), '\r\nOK\r\n');
  clock.advance(2999);
  assert.equal(take(), '');
  clock.advance(1);
  assert.equal(take(), '\r\n*ATREADY: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\n+CGEV: EPS PDN ACT 1\r\n\r\nPB DONE\r\n');
  // Echo is back on after the restart.
  assert.equal(await send('AT'), 'AT\r\r\nOK\r\n');
});

test('AT+CPOF: silent until powered on again, then a normal boot', async () => {
  const { modem, send, take } = await harness();
  let resets = 0;
  modem.on('reset', () => resets++);
  assert.equal(await send('AT+CPOF=1'), '\r\nOK\r\n\r\nPOWERD DOWN\r\n');
  assert.equal(resets, 1);
  assert.equal(await send('AT'), '');
  modem.urc('+CREG: 1');
  assert.equal(take(), '');
  modem.reboot();
  assert.match(take(), /^\r\n\*ATREADY: 1\r\n/);
  assert.equal(await send('AT'), 'AT\r\r\nOK\r\n');
});

test('announceRegistration prints what changed, per each command\'s <n>', async () => {
  const { modem, send, take } = await harness();
  await send('AT+CREG=1;+CGREG=2;+CEREG=0;+CNSMOD=1');
  const before = registrationSnapshot(modem.state);
  modem.state.radio.regStat = 5;
  announceRegistration(modem, before);
  assert.equal(take(), '\r\n+CREG: 5\r\n\r\n+CGREG: 5,"230A","0A75E903"\r\n');
  const roaming = registrationSnapshot(modem.state);
  modem.state.radio.regStat = 2;
  announceRegistration(modem, roaming);
  assert.equal(take(), '\r\n+CREG: 2\r\n\r\n+CGREG: 2\r\n\r\n+CNSMOD: 0\r\n');
  // Without a snapshot, everything enabled is printed.
  announceRegistration(modem);
  assert.equal(take(), '\r\n+CREG: 2\r\n\r\n+CGREG: 2\r\n\r\n+CNSMOD: 0\r\n');
  assert.equal(await send('AT+CREG?;+COPS?'), '\r\n+CREG: 1,2\r\n+COPS: 0\r\n\r\nOK\r\n');
});

test('URCs raised during a command wait for its final result code', async () => {
  const { modem, send } = await harness();
  await send('AT+CREG=1');
  assert.equal(await send('AT+CFUN=4;+CREG?'), '\r\n+CREG: 1,0\r\n\r\nOK\r\n\r\n+CGEV: ME DETACH\r\n\r\n+CREG: 0\r\n');
  assert.equal(modem.state.attached, false);
});
