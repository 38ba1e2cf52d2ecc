import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { replayTranscript } from './engine/replay.js';

/**
 * Bugs the fuzzer found, each kept as the transcript it printed (trimmed, and corrected to what
 * the module does), replayed as the fuzzer ran it (engine/replay.ts).
 */
const dir = join(import.meta.dirname, 'transcripts');

/** `${X3100}`: a body longer than the 3071-character line limit. */
const VARS = { X3100: 'x'.repeat(3100) };

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`fuzz regression ${file}`, () => replayTranscript(readFileSync(join(dir, file), 'utf8'), VARS));
}

test('fuzz regression: a reboot right behind a line drops the line\'s result and what was queued after it', async () => {
  const modem = new EmulatedModem({ config: { bootUrcs: false }, clock: new FakeClock() });
  const out: Buffer[] = [];
  modem.on('output', (bytes) => out.push(bytes));
  modem.input(Buffer.from('ATE0\rAT+CSQ\r'));
  modem.reboot(); // before ATE0 has answered
  await new Promise((resolve) => setImmediate(resolve));
  const boot = '\r\n*ATREADY: 1\r\n\r\n+CPIN: READY\r\n\r\nSMS DONE\r\n\r\n+CGEV: EPS PDN ACT 1\r\n\r\nPB DONE\r\n';
  assert.equal(Buffer.concat(out).toString('latin1'), `ATE0\r${boot}`);
  modem.input(Buffer.from('AT\r'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(Buffer.concat(out).toString('latin1'), `ATE0\r${boot}AT\r\r\nOK\r\n`);
});
