import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/emulator/clock.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { ScriptedNetwork } from './sockets-scripted-network.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';
import { rigSettingsOf } from './datamode-rig.js';

/**
 * Transcripts in test/transcripts/datamode/simulated run on a FakeClock and the ScriptedNetwork of
 * the sockets tests, with the real default escape guard (1000 ms before and after, 900 ms gap):
 * guard boundaries, the transwaittm flush and DTR happen exactly when the transcript says.
 *
 * Settings (`#! …` first line) as in datamode-rig.ts. Actions: those of ScriptedNetwork,
 * `advance MS [quiet]` (move the clock; `quiet`: nothing may be printed meanwhile),
 * `dtr on|off`, `lose-network`, `reboot`.
 */
const dir = join(import.meta.dirname, '../transcripts/datamode/simulated');

/** Bulk payloads: `${X1460}` and `${X64K}` are that many `x`. */
const BULK = { X1459: 'x'.repeat(1459), X1460: 'x'.repeat(1460), X64K: 'x'.repeat(64 * 1024) };

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`simulated data-mode transcript ${file}`, { timeout: 20000 }, async () => {
    const path = join(dir, file);
    const settings = rigSettingsOf(path);
    const clock = new FakeClock();
    const network = new ScriptedNetwork();
    const modem = new EmulatedModem({
      config: { bootUrcs: false, ...(settings.dialect !== undefined ? { dialect: settings.dialect } : {}) },
      clock,
      network,
    });
    let printed = 0;
    modem.on('output', (bytes) => (printed += bytes.length));
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    await runTranscript(modemPort(modem), loadTranscript(path, BULK), {
      actions: {
        ...network.actions(),
        advance: async ([ms, quiet]) => {
          const before = printed;
          clock.advance(Number(ms));
          await settle();
          if (quiet === 'quiet' && printed !== before) throw new Error(`output while advancing ${ms} ms`);
        },
        dtr: ([level]) => modem.setDtr(level === 'on'),
        'lose-network': () => loseNetwork(modem),
        reboot: () => modem.reboot(),
      },
    });
  });
}
