import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Modem } from '../../src/emulator/modem.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';

// Every transcript in test/transcripts/engine runs against a fresh in-process modem with no network.
const dir = join(import.meta.dirname, '../transcripts/engine');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`engine transcript ${file}`, async () => {
    const modem = new Modem({ config: { bootUrcs: false } });
    await runTranscript(modemPort(modem), loadTranscript(join(dir, file)));
  });
}
