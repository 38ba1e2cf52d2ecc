import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '../../src/emulator/clock.js';
import { dialectNamed, type Dialect } from '../../src/emulator/dialect.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { ScriptedNetwork } from './sockets-scripted-network.js';
import { loadTranscript, modemPort, runTranscript } from '../support/transcript-runner.js';

/**
 * Transcripts in test/transcripts/sockets/simulated run on a FakeClock and a ScriptedNetwork, so
 * timeouts, latencies, Busy and back-pressure happen exactly when the transcript says.
 *
 * A first line `#! key=value …` configures the run: `dialect=<name>`, `network=none`,
 * `sim=absent`, and any other key overrides that field of the dialect (`pushTrailer=true`).
 * Actions: those of ScriptedNetwork, `advance MS [quiet]` (move the clock; `quiet`: and nothing
 * may be printed meanwhile), `lose-network`, `reboot`.
 */
const dir = join(import.meta.dirname, '../transcripts/sockets/simulated');

/** Bulk payloads: `${X1500}`, `${X32K}` are that many `x`. */
const BULK = { X1500: 'x'.repeat(1500), X32K: 'x'.repeat(32 * 1024) };

function settings(text: string): Record<string, string> {
  const first = text.split('\n')[0] ?? '';
  if (!first.startsWith('#!')) return {};
  return Object.fromEntries(first.slice(2).trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]));
}

function dialectFrom(options: Record<string, string>): Dialect {
  const base = dialectNamed(options['dialect'] ?? 'a76xx');
  const overrides: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'dialect' || key === 'network' || key === 'sim') continue;
    if (!(key in base)) throw new Error(`unknown setting ${key}`);
    overrides[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return { ...base, ...overrides } as Dialect;
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`simulated sockets transcript ${file}`, async () => {
    const path = join(dir, file);
    const options = settings(readFileSync(path, 'utf8'));
    const clock = new FakeClock();
    const network = new ScriptedNetwork();
    const modem = new EmulatedModem({
      config: {
        bootUrcs: false,
        dialect: dialectFrom(options),
        ...(options['sim'] === 'absent' ? { sim: { state: 'absent' as const } } : {}),
      },
      clock,
      ...(options['network'] === 'none' ? {} : { network }),
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
        'lose-network': () => loseNetwork(modem),
        reboot: () => modem.reboot(),
      },
    });
  });
}
