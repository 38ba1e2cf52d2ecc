import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTranscript } from '../../src/at/transcript.js';
import { AtLine } from '../../src/control/line.js';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { openTraceFile, traceHeader, traceInto, TraceWriter } from '../../src/emulator/trace.js';
import { runTranscript } from '../support/transcript-runner.js';
import { linePort } from './rig.js';

test('trace: direction-tagged transcript lines with # t= stamps whenever time moved', () => {
  const clock = new FakeClock();
  let text = '';
  const writer = new TraceWriter((t) => (text += t), { clock, header: ['hello'] });
  writer.host(Buffer.from('AT\r'));
  writer.module(Buffer.from('AT\r\r\nOK\r\n'));
  clock.advance(1234.5);
  writer.note('network-loss');
  writer.module(Buffer.from([0x00, 0xff, 0x5c]));
  writer.module(Buffer.alloc(0));
  assert.equal(
    text,
    ['# hello', '# t=0.000', '>> AT\\r', '<< AT\\r\\r\\nOK\\r\\n', '# t=1.234', '# network-loss', '<< \\x00\\xFF\\\\', ''].join('\n'),
  );
  // The transcript parser ignores the stamps: the trace is a transcript.
  const steps = parseTranscript(text);
  assert.deepEqual(
    steps.map((s) => (s.kind === 'action' ? s.verb : `${s.kind} ${s.bytes.toString('latin1')}`)),
    ['send AT\r', 'expect AT\r\r\nOK\r\n', 'expect \x00\xff\\'],
  );
});

test('trace: a session traced to a file replays as a test against a fresh modem', { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'a76xx-trace-'));
  try {
    const path = join(dir, 'session.txt');
    const modem = new EmulatedModem({ config: { bootUrcs: false } });
    const line = new AtLine(modem);
    const file = openTraceFile(path, { header: traceHeader('a test session') });
    const stop = traceInto(line, file.writer);
    const session = ['ATE1\r', 'AT+CSQ\r', 'AT+CGMM;+CGMR\r', 'ATI\r', 'AT+BOGUS\r', 'ATV0\r', 'AT\r', 'ATV1\r'];
    let got = Buffer.alloc(0);
    line.on('output', (b) => (got = Buffer.concat([got, b])));
    for (const command of session) {
      const before = got.length;
      line.input(Buffer.from(command));
      // One command at a time, as a host waits for the final result.
      for (let i = 0; i < 50 && !/(OK|ERROR|0)\r\n?$|\r$/.test(got.subarray(before).toString('latin1')); i++) {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    line.injectUrc('RING', 'now');
    stop();
    file.close();
    line.detach();
    const trace = readFileSync(path, 'utf8');
    assert.match(trace, /^# a76xx trace of a test session, started \d{4}-/);
    assert.match(trace, /^>> AT\+CSQ\\r$/m);
    assert.match(trace, /^<< .*\+CSQ: 20,99\\r\\n/m);
    assert.match(trace, /^<< \\r\\nRING\\r\\n$/m);
    assert.match(trace, /^# t=\d+\.\d{3}$/m);

    // Replay: everything but the injected URC comes back byte for byte from a fresh modem.
    const replay = trace.replace(/^<< \\r\\nRING\\r\\n\n/m, '');
    const fresh = new EmulatedModem({ config: { bootUrcs: false } });
    const freshLine = new AtLine(fresh);
    await runTranscript(linePort(freshLine), parseTranscript(replay));
    freshLine.detach();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('AtLine copies what input() is given (the caller may reuse it) and keeps what inputOwned() is given', () => {
  const line = new AtLine(new EmulatedModem({ clock: new FakeClock(), config: { bootUrcs: false } }));
  const seen: Buffer[] = [];
  line.on('input', (bytes) => seen.push(bytes));
  const reused = Buffer.from('ATE0');
  line.input(reused);
  reused.fill(0x41);
  const owned = Buffer.from('\r');
  line.inputOwned(owned);
  assert.equal(seen[0]?.toString('latin1'), 'ATE0');
  assert.equal(seen[1], owned);
  assert.equal(line.counters.hostBytes, 5);
  line.detach();
});
