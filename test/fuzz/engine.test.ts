import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeBytes } from '../../src/at/escape.js';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { atPrefix, commandBody } from './engine/command-lines.js';
import { scenarioArbitrary } from './engine/scenario.js';
import { replayTranscript } from './engine/replay.js';
import { FuzzFailure, runScenario } from './engine/session.js';
import { FUZZ_SEED, runs } from './settings.js';

/**
 * The engine under random input (test/fuzz/engine): command lines built from the commands it
 * knows, mutated and chunked, raw bursts, peers and time, with the invariants of session.ts
 * checked after every step. A short seeded run here; `npm run fuzz` is the long one.
 */

test('random scenarios: no exception, no internal error, no hang, a consistent link table, AT answers OK', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArbitrary(60), async (scenario) => {
      await runScenario(scenario);
    }),
    { seed: FUZZ_SEED, numRuns: runs(1200) },
  ).catch(async (err: unknown) => {
    // Replay the smallest counterexample with a transcript, so the failure shows the exchange.
    const scenario = /Counterexample: (\[.*\])\n/.exec(String(err instanceof Error ? err.message : err));
    throw new Error(`${String(err instanceof Error ? err.message : err)}${scenario === null ? '' : await transcriptOf(scenario[1] as string)}`);
  });
});

async function transcriptOf(counterexample: string): Promise<string> {
  try {
    const [scenario] = JSON.parse(counterexample) as [Parameters<typeof runScenario>[0]];
    await runScenario(scenario, { record: true });
    return '';
  } catch (err) {
    return err instanceof FuzzFailure ? `\n\nTranscript:\n${err.transcript}` : '';
  }
}

test('a recorded scenario replays as a transcript (the form failures are reported in)', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArbitrary(30), async (scenario) => {
      const lines: string[] = [];
      await runScenario(scenario, { onTranscriptLine: (line) => lines.push(line) });
      await replayTranscript(lines.join('\n'));
    }),
    { seed: FUZZ_SEED, numRuns: runs(25) },
  );
});

// ---------------------------------------------------------------- chunking

const lineOrNoise = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(atPrefix, commandBody).map(([prefix, body]) => `${prefix}${body}\r`) },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\x08', 'A', 'a\r', 'xyz', '\x00\xff\x1a\x1b\x03') },
);

/** What a network-less modem prints for `input` delivered in `pieces`, with `pause` between them. */
async function outputFor(pieces: readonly Buffer[], pause: boolean): Promise<string> {
  const logged: string[] = [];
  const modem = new EmulatedModem({ config: { bootUrcs: false }, clock: new FakeClock(), log: (m) => logged.push(m) });
  const out: Buffer[] = [];
  modem.on('output', (bytes) => out.push(bytes));
  for (const piece of pieces) {
    modem.input(piece);
    if (pause) await new Promise((resolve) => setImmediate(resolve));
  }
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(logged, []);
  return escapeBytes(Buffer.concat(out));
}

test('how the input is cut into writes does not change what the module prints', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(lineOrNoise, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (parts, cuts) => {
      const input = Buffer.from(parts.join(''), 'latin1');
      const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...points].map((from, i) => input.subarray(from, [...points, input.length][i]));
      const whole = await outputFor([input], false);
      const bytes = [...input].map((b) => Buffer.from([b]));
      assert.equal(await outputFor(bytes, false), whole, 'byte by byte, in one turn');
      assert.equal(await outputFor(pieces, true), whole, 'in pieces, a turn apart');
    }),
    { seed: FUZZ_SEED, numRuns: runs(150) },
  );
});
