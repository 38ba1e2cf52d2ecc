/**
 * The framer as serialport tests its parsers: one stream holding every frame kind the emulator
 * writes (built with the same src/at formatters), cut into two chunks at every byte, into three
 * at every pair of nearby bytes, and byte by byte: the events and their buffers are exactly the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleOutputParser, type ModuleEvent } from '../../src/at/module-output-framer.js';
import {
  formatCipSend,
  formatConnect,
  formatIpClose,
  formatIpd,
  formatReceive,
  formatRecvFrom,
  formatRxgetData,
  formatRxgetNotice,
  framed,
  framedLine,
  formatPrompt,
} from '../../src/at/index.js';

const payload = Buffer.from('\r\nOK\r\n+IPD3\r\n>', 'latin1');
const STREAM = Buffer.concat([
  Buffer.from(framed('OK'), 'latin1'),
  Buffer.from(framed(formatRecvFrom('127.0.0.1', 5000)) + framedLine(formatIpd(payload.length), false), 'latin1'),
  payload,
  Buffer.from(framed(formatRxgetNotice(3)), 'latin1'),
  Buffer.from(framed(formatReceive(2, 4)), 'latin1'),
  Buffer.from('\0\0\r\n', 'latin1'), // a payload that looks like line noise and a line end
  Buffer.from(framed(formatRxgetData(2, 1, 5, 7)), 'latin1'),
  Buffer.from('ab\ncd\r\nOK\r\n', 'latin1'),
  Buffer.from(framed(formatRxgetData(3, 0, 2, 0)) + framedLine('0D0A', false) + framed('OK'), 'latin1'),
  Buffer.from(formatPrompt('> '), 'latin1'),
  Buffer.from(framed(formatCipSend(0, 5, 5)) + framed(formatIpClose(0, 1)) + framed(formatConnect(115200)), 'latin1'),
]);

// What the stream is: exactly these events (the prompt is expected; no echo).
const EXPECTED = [
  'line OK',
  'push ipd link=- from=127.0.0.1:5000 0d0a4f4b0d0a2b495044330d0a3e',
  'line +CIPRXGET: 1,3',
  'push receive link=2 from=- 00000d0a',
  'rxget 2 link=1 rest=7 61620a6364',
  'line OK',
  'rxget 3 link=0 rest=0 0d0a',
  'line OK',
  'prompt',
  'line +CIPSEND: 0,5,5',
  'line +IPCLOSE: 0,1',
  'line CONNECT 115200',
];

function show(events: readonly ModuleEvent[]): string[] {
  return events.map((e) => {
    switch (e.kind) {
      case 'line':
        return `line ${e.text}`;
      case 'push':
        return `push ${e.header} link=${e.link ?? '-'} from=${e.from === undefined ? '-' : `${e.from.address}:${e.from.port}`} ${e.bytes.toString('hex')}`;
      case 'rxget':
        return `rxget ${e.mode} link=${e.link} rest=${e.rest} ${e.bytes.toString('hex')}`;
      default:
        return e.kind;
    }
  });
}

function run(chunks: readonly Buffer[]): string[] {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  parser.expectPrompt();
  for (const chunk of chunks) parser.feed(chunk);
  assert.equal(parser.bufferedBytes, 0, 'nothing is left half-read');
  return show(events);
}

test('framer splits: the whole stream gives exactly the frames written', () => {
  assert.deepEqual(run([STREAM]), EXPECTED);
});

test('framer splits: two chunks, cut at every byte', () => {
  for (let at = 0; at <= STREAM.length; at++) {
    assert.deepEqual(run([STREAM.subarray(0, at), STREAM.subarray(at)]), EXPECTED, `cut at ${at}`);
  }
});

/** Two cuts close together leave a tiny middle chunk: the awkward case (a header or `<CR><LF>` cut twice). */
const NEAR = 16;

test('framer splits: three chunks, cut at every pair of bytes up to NEAR apart', () => {
  for (let a = 1; a < STREAM.length; a++) {
    for (let b = a + 1; b < Math.min(STREAM.length, a + NEAR); b++) {
      const events = run([STREAM.subarray(0, a), STREAM.subarray(a, b), STREAM.subarray(b)]);
      if (events.length !== EXPECTED.length || events.some((e, i) => e !== EXPECTED[i])) {
        assert.deepEqual(events, EXPECTED, `cut at ${a} and ${b}`);
      }
    }
  }
});

test('framer splits: byte by byte, and empty chunks between', () => {
  const bytes: Buffer[] = [];
  for (let i = 0; i < STREAM.length; i++) bytes.push(STREAM.subarray(i, i + 1), Buffer.alloc(0));
  assert.deepEqual(run(bytes), EXPECTED);
});

test('framer splits: a block split inside its payload is delivered as one buffer, byte-exact', () => {
  const header = Buffer.from(framed(formatIpd(1500)), 'latin1');
  const data = Buffer.alloc(1500, 0x0a);
  const stream = Buffer.concat([header, data, Buffer.from(framed('OK'), 'latin1')]);
  for (const at of [header.length - 1, header.length, header.length + 1, header.length + 749, stream.length - 5]) {
    const events: ModuleEvent[] = [];
    const parser = new ModuleOutputParser((e) => events.push(e));
    parser.feed(stream.subarray(0, at));
    parser.feed(stream.subarray(at));
    assert.equal(events.length, 2, `cut at ${at}`);
    const push = events[0];
    assert.ok(push?.kind === 'push');
    assert.ok(push.bytes.equals(data), `cut at ${at}`);
    assert.deepEqual(events[1], { kind: 'line', text: 'OK' });
  }
});
