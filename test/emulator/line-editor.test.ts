import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineEditor, MAX_LINE, type EditorStep } from '../../src/emulator/line-editor.js';
import { EmulatedModem } from '../../src/emulator/modem.js';

/** Feed bytes; return what was echoed and the lines produced. */
function feed(editor: LineEditor, input: string | Buffer) {
  const steps: EditorStep[] = [];
  for (const b of typeof input === 'string' ? Buffer.from(input, 'latin1') : input) steps.push(editor.feed(b));
  const echo = Buffer.from(steps.flatMap((s) => (s.kind === 'echo' ? [s.byte] : []))).toString('latin1');
  const lines = steps.flatMap((s) => (s.kind === 'line' ? [{ body: s.body, overflow: s.overflow }] : []));
  return { echo, lines };
}

test('a line starts at AT in any case and ends at <CR>', () => {
  for (const prefix of ['AT', 'at', 'aT', 'At']) {
    const { echo, lines } = feed(new LineEditor(), `${prefix}+CSQ\r`);
    assert.equal(echo, `${prefix}+CSQ`);
    assert.deepEqual(lines, [{ body: '+CSQ', overflow: false }]);
  }
});

test('<LF> right after <CR> is dropped; lines follow each other', () => {
  const editor = new LineEditor();
  const { echo, lines } = feed(editor, 'AT\r\nATE0\r\n\nAT+CSQ\r');
  assert.equal(echo, 'ATATE0AT+CSQ');
  assert.deepEqual(lines.map((l) => l.body), ['', 'E0', '+CSQ']);
});

test('bytes outside a line are dropped; printable ones after a lone A are echoed', () => {
  const editor = new LineEditor();
  assert.deepEqual(feed(editor, '\x1a\x1b\nXYZ'), { echo: '', lines: [] });
  assert.deepEqual(feed(editor, 'AB'), { echo: 'AB', lines: [] });
  assert.equal(editor.inLine, false);
  assert.deepEqual(feed(editor, 'A\r'), { echo: 'A', lines: [] });
  assert.deepEqual(feed(editor, 'AAT\r'), { echo: 'AAT', lines: [{ body: '', overflow: false }] });
});

test('backspace and DEL edit the line and are echoed', () => {
  const { echo, lines } = feed(new LineEditor(), 'ATX\x08E0\x7f1\r');
  assert.equal(echo, 'ATX\x08E0\x7f1');
  assert.deepEqual(lines, [{ body: 'E1', overflow: false }]);
  assert.deepEqual(feed(new LineEditor(), 'AT\x08\x08\r').lines, [{ body: '', overflow: false }]);
});

test('other control bytes inside a line are neither kept nor echoed', () => {
  const { echo, lines } = feed(new LineEditor(), 'AT+C\x00S\tQ\n\r');
  assert.equal(echo, 'AT+CSQ');
  assert.deepEqual(lines, [{ body: '+CSQ', overflow: false }]);
});

test('bytes above 0x7F are kept as latin-1', () => {
  const { lines } = feed(new LineEditor(), Buffer.from([0x41, 0x54, 0xe9, 0xff, 0x0d]));
  assert.deepEqual(lines, [{ body: '\u00e9\u00ff', overflow: false }]);
});

test(`a body of ${MAX_LINE} characters is fine, one more overflows`, () => {
  const ok = feed(new LineEditor(), `AT${'A'.repeat(MAX_LINE)}\r`);
  assert.deepEqual(ok.lines, [{ body: 'A'.repeat(MAX_LINE), overflow: false }]);
  const editor = new LineEditor();
  const long = feed(editor, `AT${'B'.repeat(MAX_LINE + 5)}\x08\r`);
  assert.equal(long.lines[0]?.overflow, true);
  assert.equal(long.lines[0]?.body.length, MAX_LINE);
  // The next line starts clean.
  assert.deepEqual(feed(editor, 'AT\r').lines, [{ body: '', overflow: false }]);
});

test('inLine and reset', () => {
  const editor = new LineEditor();
  feed(editor, 'A');
  assert.equal(editor.inLine, true);
  feed(editor, 'T+CS');
  assert.equal(editor.inLine, true);
  editor.reset();
  assert.equal(editor.inLine, false);
  assert.deepEqual(feed(editor, 'Q\rAT\r').lines, [{ body: '', overflow: false }]);
});

// ---------------------------------------------------------------- whole exchanges, chunked

/** A command exchange touching echo, framing, editing, stray bytes, several commands a line. */
const EXCHANGE = Buffer.from(
  [
    'AT\r',
    'AT+CSQ\r\n',
    'at+creg?;+cgreg?\r',
    'AT+CGDCONT=1,"IP","CMNET"\r\n',
    'AT+CGDCONT?\r',
    'ATX\x08I\r',
    '\x1a\x1b',
    'AT&V\r',
    'ATV0\r',
    'AT+CSQ\r',
    'AT+NOPE\r',
    'ATV1\r',
    'ATE0;+CMEE=1\r',
    'AT+CPIN="1234"\r',
    'ATE1Q1\r',
    'AT+CSQ\r',
    'ATQ0\r',
    'AT+CFUN=4\r',
    'AT+CFUN=1\r',
  ].join(''),
  'latin1',
);

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Run the exchange against a fresh modem, fed in the given chunks; all output bytes. */
async function outputFor(chunks: readonly Buffer[], settleBetween: boolean): Promise<Buffer> {
  const modem = new EmulatedModem({ config: { bootUrcs: false } });
  const out: Buffer[] = [];
  modem.on('output', (b) => out.push(b));
  for (const chunk of chunks) {
    modem.input(chunk);
    if (settleBetween) await settle();
  }
  await settle();
  await settle();
  return Buffer.concat(out);
}

test('the exchange answers as expected when sent whole', async () => {
  const whole = (await outputFor([EXCHANGE], false)).toString('latin1');
  assert.ok(whole.startsWith('AT\r\r\nOK\r\nAT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n'), JSON.stringify(whole.slice(0, 60)));
  assert.ok(whole.includes('ATX\x08I\r\r\nManufacturer: INCORPORATED\r\n'));
  assert.ok(whole.includes('AT+CSQ\r+CSQ: 20,99\r\n0\rAT+NOPE\r4\r'));
  assert.ok(whole.includes('\r\n+CME ERROR: 3\r\n'));
  assert.ok(whole.endsWith('\r\nOK\r\n\r\n+CGEV: EPS PDN ACT 1\r\n'), JSON.stringify(whole.slice(-60)));
});

test('splitting the input at any byte boundary does not change the output', async () => {
  const reference = await outputFor([EXCHANGE], false);
  for (let at = 1; at < EXCHANGE.length; at++) {
    const chunks = [EXCHANGE.subarray(0, at), EXCHANGE.subarray(at)];
    for (const settleBetween of [false, true]) {
      const got = await outputFor(chunks, settleBetween);
      assert.ok(got.equals(reference), `split at ${at} (settle ${settleBetween}) differs`);
    }
  }
});

test('one byte at a time, with or without pauses, gives the same output', async () => {
  const reference = await outputFor([EXCHANGE], false);
  const bytes = [...EXCHANGE].map((b) => Buffer.from([b]));
  assert.ok((await outputFor(bytes, true)).equals(reference));
  assert.ok((await outputFor(bytes, false)).equals(reference));
});

test('the terminator LF: the byte after a CR is judged once, in any mode, by the host it has shown', () => {
  const editor = new LineEditor();
  feed(editor, 'AT\r');
  assert.equal(editor.awaitingLf, true);
  // Before any prompt an LF is always the terminator's.
  assert.equal(editor.takeTerminatorLf(0x0a, false), true);
  assert.equal(editor.awaitingLf, false);
  // A CR LF host (as just shown): an LF after the prompt is still the terminator's.
  feed(editor, 'AT+CIPSEND=0,5\r');
  assert.equal(editor.takeTerminatorLf(0x0a, true), true);
  // A host whose line was followed by something else is a CR host from then on…
  feed(editor, 'AT\r');
  assert.equal(editor.takeTerminatorLf(0x41, false), false);
  // (the modem then feeds that byte on as command input)
  feed(editor, 'AT\r');
  // …so an LF it sends after the prompt is payload, one before the prompt still the terminator's.
  assert.equal(editor.takeTerminatorLf(0x0a, true), false);
  feed(editor, 'AT\r');
  assert.equal(editor.takeTerminatorLf(0x0a, false), true);
});

test('forgetLf: a data mode the module entered by itself takes the next byte as data', () => {
  const editor = new LineEditor();
  feed(editor, 'AT+SERVERSTART\r');
  editor.forgetLf();
  assert.equal(editor.awaitingLf, false);
});
