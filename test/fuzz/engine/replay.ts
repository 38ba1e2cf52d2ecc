import { escapeBytes } from '../../../src/at/escape.js';
import { parseTranscript } from '../../../src/at/transcript.js';
import { FakeClock } from '../../../src/emulator/clock.js';
import { dialectNamed } from '../../../src/emulator/dialect.js';
import { loseNetwork } from '../../../src/emulator/links.js';
import { EmulatedModem } from '../../../src/emulator/modem.js';
import type { Action } from '../../support/transcript-runner.js';
import { FuzzNetwork } from './fuzz-network.js';

/**
 * Replays a transcript the fuzzer wrote (or one kept as a regression test) as the fuzzer ran it: a
 * fresh EmulatedModem on a FakeClock and a FuzzNetwork, the dialect of its `#! dialect=<name>` first
 * line, and the fuzzer's actions — `advance MS [quiet]`, `reboot`, `lose-network`, `dtr on|off`
 * and the FuzzNetwork's peer actions.
 *
 * Like the fuzzer, it lets the module finish its work (one event-loop turn) before each send and
 * action, so a replay meets the module in the same state; at each of those points everything
 * printed so far must be exactly what the transcript says. Throws on any difference, or when the
 * module logs an internal error.
 */
export async function replayTranscript(text: string, vars: Readonly<Record<string, string | number>> = {}): Promise<void> {
  const clock = new FakeClock();
  const network = new FuzzNetwork(clock);
  const logged: string[] = [];
  const dialect = /^#!.*\bdialect=([\w-]+)/.exec(text.split('\n')[0] ?? '')?.[1] ?? 'a76xx';
  const modem = new EmulatedModem({ config: { bootUrcs: false, dialect: dialectNamed(dialect) }, clock, network, log: (m) => logged.push(m) });
  const received: Buffer[] = [];
  modem.on('output', (bytes) => received.push(bytes));
  const printed = () => received.reduce((n, b) => n + b.length, 0);
  const actions: Record<string, Action> = {
    ...network.actions(),
    advance: ([ms, quiet]) => {
      const before = printed();
      clock.advance(Number(ms));
      if (quiet === 'quiet' && printed() !== before) throw new Error(`output while advancing ${ms} ms`);
    },
    'lose-network': () => loseNetwork(modem),
    reboot: () => modem.reboot(),
    dtr: ([level]) => modem.setDtr(level === 'on'),
  };
  const expected: Buffer[] = [];
  const check = (line: number) => {
    const want = Buffer.concat(expected);
    const got = Buffer.concat(received);
    if (got.equals(want)) return;
    let at = 0;
    while (at < got.length && got[at] === want[at]) at++;
    const around = (b: Buffer) => JSON.stringify(escapeBytes(b.subarray(Math.max(0, at - 40), at + 60)));
    throw new Error(`transcript line ${line}: output differs at byte ${at}\n  expected …${around(want)}\n  received …${around(got)}`);
  };
  let last = 0;
  for (const step of parseTranscript(text, vars)) {
    last = step.line;
    if (step.kind === 'expect') {
      expected.push(step.bytes);
      continue;
    }
    await turn();
    check(step.line);
    if (step.kind === 'send') {
      modem.input(Buffer.from(step.bytes));
      continue;
    }
    const action = actions[step.verb];
    if (action === undefined) throw new Error(`transcript line ${step.line}: no action ${step.verb}`);
    await action(step.args);
  }
  await turn();
  check(last);
  if (logged.length > 0) throw new Error(`internal errors logged:\n${logged.join('\n')}`);
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
