import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LINE_TERMINATORS } from '../../src/at/transcript.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';

// Every transcript in test/transcripts/engine runs against a fresh in-process modem with no
// network, once with each line terminator (CR, CR LF).
const dir = join(import.meta.dirname, '../transcripts/engine');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  for (const terminator of LINE_TERMINATORS) {
    test(`engine transcript ${file} (${terminator})`, async () => {
      const modem = new EmulatedModem({ config: { bootUrcs: false } });
      await runTranscript(modemPort(modem), loadTranscript(join(dir, file), {}, { terminator }));
    });
  }
}
