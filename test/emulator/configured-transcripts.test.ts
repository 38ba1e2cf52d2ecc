import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { dialectNamed } from '../../src/emulator/dialect.js';
import type { ConfigOverrides } from '../../src/emulator/config.js';
import { parseTranscript } from '../../src/at/transcript.js';
import { modemPort, runTranscript } from '../support/transcript-runner.js';

/**
 * Transcripts that need a device other than the default one. The first line of each file names
 * its configuration: `#! config {"sim": {"state": "pin"}, "dialect": "sim7600"}` (JSON overrides of
 * config.ts, the dialect by name). Boot URCs are off, as for the engine transcripts.
 */
const dir = join(import.meta.dirname, '../transcripts/configured');

function configOf(text: string, file: string): ConfigOverrides {
  const header = /^#! config (.*)$/m.exec(text.split('\n', 1)[0] ?? '');
  if (header === null) throw new Error(`${file}: first line must be "#! config {…}"`);
  const { dialect, ...rest } = JSON.parse(header[1] as string) as Record<string, unknown>;
  const overrides = { ...rest, bootUrcs: false } as ConfigOverrides;
  return typeof dialect === 'string' ? { ...overrides, dialect: dialectNamed(dialect) } : overrides;
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`configured transcript ${file}`, async () => {
    const text = readFileSync(join(dir, file), 'utf8');
    const modem = new EmulatedModem({ config: configOf(text, file) });
    await runTranscript(modemPort(modem), parseTranscript(text));
  });
}
