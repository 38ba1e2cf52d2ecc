import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/emulator/clock.js';
import { dialectNamed } from '../../src/emulator/dialect.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { Modem } from '../../src/emulator/modem.js';
import { FuzzNetwork } from './engine/fuzz-network.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';

/**
 * Bugs the fuzzer found, each kept as the transcript it printed (trimmed and corrected to what
 * the module does). They run as the fuzzer ran them: a FakeClock and a FuzzNetwork, the
 * dialect of the `#! dialect=<name>` first line, and the actions the fuzzer writes
 * (`advance MS [quiet]`, `reboot`, `lose-network`, `dtr on|off`, and FuzzNetwork's peer actions).
 */
const dir = join(import.meta.dirname, 'transcripts');

/** `${X3100}`: a body longer than the 3071-character line limit. */
const VARS = { X3100: 'x'.repeat(3100) };

function dialectOf(text: string): string {
  const first = text.split('\n')[0] ?? '';
  return /^#!.*\bdialect=([\w-]+)/.exec(first)?.[1] ?? 'a76xx';
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`fuzz regression ${file}`, async () => {
    const path = join(dir, file);
    const clock = new FakeClock();
    const network = new FuzzNetwork(clock);
    const logged: string[] = [];
    const modem = new Modem({
      config: { bootUrcs: false, dialect: dialectNamed(dialectOf(readFileSync(path, 'utf8'))) },
      clock,
      network,
      log: (message) => logged.push(message),
    });
    let printed = 0;
    modem.on('output', (bytes) => (printed += bytes.length));
    await runTranscript(modemPort(modem), loadTranscript(path, VARS), {
      actions: {
        ...network.actions(),
        advance: async ([ms, quiet]) => {
          const before = printed;
          clock.advance(Number(ms));
          await new Promise((resolve) => setImmediate(resolve));
          if (quiet === 'quiet' && printed !== before) throw new Error(`output while advancing ${ms} ms`);
        },
        dtr: ([level]) => modem.setDtr(level === 'on'),
        'lose-network': () => loseNetwork(modem),
        reboot: () => modem.reboot(),
      },
    });
    if (logged.length > 0) throw new Error(`internal errors logged:\n${logged.join('\n')}`);
  });
}
