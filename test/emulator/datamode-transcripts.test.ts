import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';
import { rigSettingsOf, startRig } from './datamode-rig.js';

/**
 * Every transcript in test/transcripts/datamode (transparent mode) and test/transcripts/server
 * (AT+SERVERSTART/STOP) runs against a fresh in-process modem on the real network backend, with
 * loopback peers and clients of its own and a ${GUARD} ms escape guard (datamode-rig.ts).
 */
const TIMEOUT_MS = 20000;

for (const family of ['datamode', 'server']) {
  const dir = join(import.meta.dirname, '../transcripts', family);
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    test(`${family} transcript ${file}`, { timeout: TIMEOUT_MS }, async () => {
      const path = join(dir, file);
      const rig = await startRig(rigSettingsOf(path));
      try {
        await runTranscript(modemPort(rig.modem), loadTranscript(path, rig.vars), { actions: rig.actions });
      } finally {
        rig.close();
      }
    });
  }
}
