import { describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LINE_TERMINATORS } from '../../src/at/transcript.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';
import { rigSettingsOf, startRig } from './datamode-rig.js';

/**
 * Every transcript in test/transcripts/datamode (transparent mode) and test/transcripts/server
 * (AT+SERVERSTART/STOP) runs against a fresh in-process modem on the real network backend, with
 * loopback peers and clients of its own and a ${GUARD} ms escape guard (datamode-rig.ts). They
 * share nothing, so they run side by side (most of their time is guard silence).
 */
const TIMEOUT_MS = 20000;

for (const family of ['datamode', 'server']) {
  const dir = join(import.meta.dirname, '../transcripts', family);
  describe(`${family} transcripts`, { concurrency: true }, () => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
      for (const terminator of LINE_TERMINATORS) {
        it(`${file} (${terminator})`, { timeout: TIMEOUT_MS }, async () => {
          const path = join(dir, file);
          const rig = await startRig(rigSettingsOf(path));
          try {
            await runTranscript(modemPort(rig.modem), loadTranscript(path, rig.vars, { terminator }), { actions: rig.actions });
          } finally {
            rig.close();
          }
        });
      }
    }
  });
}
