import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTranscript, type TranscriptStep } from '../../src/at/transcript.js';
import { ControlError, wordsToArgs } from '../../src/control/params.js';
import { ControlPlane } from '../../src/control/plane.js';
import { controlledModem } from '../../src/control/target.js';
import { verbNamed } from '../../src/control/verbs.js';
import { FakeClock } from '../../src/emulator/clock.js';
import type { ConfigOverrides } from '../../src/emulator/config.js';
import { dialectNamed } from '../../src/emulator/dialect.js';
import { linePort } from '../control/rig.js';
import { runTranscript } from '../support/transcript-runner.js';
import { ScriptedNetwork } from './sockets-scripted-network.js';

/**
 * Fidelity transcripts (test/transcripts/fidelity, issue 11): registration states, operator
 * formats, the commands host libraries send, failure states, timing profiles. Each runs on a
 * FakeClock, with the ScriptedNetwork (hosts `peer.test`, …) inside the simulated network the
 * control verbs act on, and its output on an AtLine as `a76xx emulate` serves it.
 *
 * Every file runs twice: with `<CR>` and with `<CR><LF>` ending each `>` line (the `<LF>` is not
 * echoed, spec §1.2), also before a CIPSEND data phase (the terminator's LF is not payload).
 *
 * A line `#! config {…}` (JSON overrides of config.ts, the dialect by name) configures the modem;
 * boot URCs are off unless it says `"bootUrcs": true`, and the boot sequence starts with `! start`.
 * Actions: `ctl VERB WORDS…` (in process, as `a76xx ctl` words), `ctl-fails CODE VERB WORDS…`,
 * `advance MS [quiet]`, `start`,
 * `reboot`, and those of ScriptedNetwork.
 */
const dir = join(import.meta.dirname, '../transcripts/fidelity');

function headerOf(text: string): { config: ConfigOverrides } {
  const headers = text.split('\n').filter((l) => l.startsWith('#!'));
  let config: ConfigOverrides = { bootUrcs: false };
  for (const h of headers) {
    const json = /^#! config (.*)$/.exec(h);
    if (json !== null) {
      const { dialect, ...rest } = JSON.parse(json[1] as string) as Record<string, unknown>;
      config = { ...config, ...(rest as ConfigOverrides), ...(typeof dialect === 'string' ? { dialect: dialectNamed(dialect) } : {}) };
    } else throw new Error(`unknown header ${h}`);
  }
  return { config };
}

/** The `>` lines (terminated by the runner with CR) end with CR LF instead. */
function withCrLf(steps: readonly TranscriptStep[], text: string): TranscriptStep[] {
  const lines = text.split('\n');
  return steps.map((step) => {
    if (step.kind !== 'send' || !/^> ?/.test(lines[step.line - 1] ?? '') || (lines[step.line - 1] ?? '').startsWith('>>')) return step;
    return { ...step, bytes: Buffer.concat([step.bytes, Buffer.from('\n')]) };
  });
}

async function play(file: string, terminator: 'CR' | 'CR LF'): Promise<void> {
  const text = readFileSync(join(dir, file), 'utf8');
  const { config } = headerOf(text);
  const clock = new FakeClock();
  const network = new ScriptedNetwork();
  const target = controlledModem({ config, clock, network });
  const plane = new ControlPlane();
  plane.add(target);
  let printed = 0;
  target.line.on('output', (bytes: Buffer) => (printed += bytes.length));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const parsed = parseTranscript(text);
  const steps = terminator === 'CR' ? parsed : withCrLf(parsed, text);
  try {
    await runTranscript(linePort(target.line), steps, {
      actions: {
        ...network.actions(),
        ctl: async ([verb, ...words]) => {
          await plane.invoke(target.id, verb as string, wordsToArgs(verbNamed(verb as string).params, words));
        },
        'ctl-fails': async ([code, verb, ...words]) => {
          try {
            await plane.invoke(target.id, verb as string, wordsToArgs(verbNamed(verb as string).params, words));
          } catch (err) {
            if (err instanceof ControlError && err.code === code) return;
            throw new Error(`ctl ${verb}: expected error ${code}, got ${String(err)}`);
          }
          throw new Error(`ctl ${verb} ${words.join(' ')}: succeeded, expected error ${code}`);
        },
        advance: async ([ms, quiet]) => {
          const before = printed;
          clock.advance(Number(ms));
          await settle();
          await settle();
          if (quiet === 'quiet' && printed !== before) throw new Error(`output while advancing ${ms} ms`);
        },
        start: () => target.modem.start(),
        reboot: () => target.modem.reboot(),
      },
    });
  } finally {
    target.modem.reboot();
    target.line.detach();
  }
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`fidelity transcript ${file} (CR)`, () => play(file, 'CR'));
  test(`fidelity transcript ${file} (CR LF)`, () => play(file, 'CR LF'));
}
