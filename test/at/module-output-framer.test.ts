import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { ModuleOutputParser, MAX_BLOCK_BYTES, MAX_LINE_BYTES, type ModuleEvent } from '../../src/at/module-output-framer.js';
import { cut, FIXTURES, loadFixture, prng } from '../driver/support/module-replay.js';
import { describe as show, driveParser, segmentsOf } from './support/parser-drive.js';

const VARS = { A1500: 'a'.repeat(1500), B1500: 'b'.repeat(1500), C200: 'c'.repeat(200) };
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.txt')).sort();

function parseAll(chunks: readonly (string | Buffer)[], setup?: (p: ModuleOutputParser) => void): string[] {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  setup?.(parser);
  for (const c of chunks) parser.feed(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  return show(events);
}

// ------------------------------------------------------------------ every fixture, every chunking

for (const file of fixtures) {
  test(`parser: ${file} gives the same events however the output is cut`, () => {
    const segments = segmentsOf(loadFixture(file, VARS));
    const whole = show(driveParser(segments, (out) => (out.length === 0 ? [] : [out])));
    assert.ok(whole.length > 0, 'the fixture produces events');

    assert.deepEqual(show(driveParser(segments, (out) => cut(out, { kind: 'bytes' }, Math.random))), whole, 'byte by byte');
    for (let seed = 1; seed <= 20; seed++) {
      const next = prng(seed);
      const events = show(driveParser(segments, (out) => cut(out, { kind: 'random', seed, max: 40 }, next)));
      assert.deepEqual(events, whole, `random chunking, seed ${seed}`);
    }
    // Every single split point of every segment.
    segments.forEach((segment, index) => {
      for (let at = 1; at < segment.output.length; at++) {
        const events = show(
          driveParser(segments, (out, i) => (i === index ? [out.subarray(0, at), out.subarray(at)] : out.length === 0 ? [] : [out])),
        );
        assert.deepEqual(events, whole, `segment ${index} split at byte ${at}`);
      }
    });
  });
}

// ------------------------------------------------------------------ what the fixtures must yield

function eventsOf(file: string): string[] {
  return show(driveParser(segmentsOf(loadFixture(file, VARS)), (out) => (out.length === 0 ? [] : [out])));
}

test('parser: push blocks keep payloads that look like framing', () => {
  assert.deepEqual(eventsOf('push-ipd.txt'), [
    'line OK',
    'line +CIPOPEN: 1,0',
    'push ipd link=- from=127.0.0.1:5253 "data from server"',
    'push ipd link=- from=127.0.0.1:5253 "\\r\\nOK\\r\\n+IPD5\\r\\nERROR\\r\\n\\r\\n>"',
    'push ipd link=- from=127.0.0.1:5253 "\\r\\n"',
    'line +CIPRXGET: 1,1',
    'line +CSQ: 20,99',
    'line OK',
  ]);
});

test('parser: +RECEIVE framing names the link; zero-length blocks', () => {
  assert.deepEqual(eventsOf('push-receive.txt'), [
    'push receive link=4 from=- "HELLO"',
    'push receive link=6 from=192.168.1.20:7000 "\\r\\nOK\\r\\n"',
    'push receive link=4 from=- ""',
    'line OK',
  ]);
});

test('parser: CIPRXGET raw and hex reads, both framings, URC inside a reply', () => {
  assert.deepEqual(eventsOf('rxget-buffer.txt'), [
    'line +CIPRXGET: 1,1',
    'line +CIPRXGET: 4,1,16',
    'line +CIPRXGET: 1,2',
    'line OK',
    'rxget 2 link=1 rest=11 "data "',
    'line OK',
    'rxget 3 link=1 rest=6 "from "',
    'line OK',
    'rxget 2 link=1 rest=0 "server"',
    'line OK',
    'line +IP ERROR: No data',
    'line ERROR',
    'rxget 2 link=2 rest=0 "\\r\\nOK"',
    'line OK',
  ]);
});

test('parser: command and data echo are consumed, prompts with and without a space', () => {
  assert.deepEqual(eventsOf('cipsend-echo.txt'), [
    'echo',
    'prompt',
    'echo data',
    'line OK',
    'line +CIPSEND: 1,14,14',
    'echo',
    'prompt',
    'echo data',
    'line OK',
    'line +CIPSEND: 1,3,3',
  ]);
  assert.deepEqual(eventsOf('cipsend-prompts.txt'), [
    'prompt',
    'line OK',
    'line +CIPSEND: 1,5,5',
    'prompt',
    'line OK',
    'line +CIPSEND: 1,14,14',
    'prompt',
    'line OK',
    'line +CIPSEND: 2,4,4',
  ]);
});

test('parser: transparent data is raw until the OK after +++', () => {
  assert.deepEqual(eventsOf('transparent.txt'), [
    'line CONNECT 115200',
    'passthrough "raw \\r\\nOK\\r\\n bytesmore"',
    'line OK',
    'line OK',
    'line CLOSED',
    'line +CIPCLOSE: 0,0',
  ]);
});

test('parser: multi-line answers keep bare info lines; echo is not a line', () => {
  const events = eventsOf('multiline-echo.txt');
  assert.equal(events[0], 'echo');
  assert.ok(events.includes('line A7670M7_B09V01_250619'));
  assert.ok(events.includes('line 860470062749167'));
  assert.ok(!events.some((e) => e.includes('AT+')), 'no echo as a line');
});

// ------------------------------------------------------------------ details

test('parser: a raw block spanning many chunks arrives whole', () => {
  const payload = Buffer.alloc(5000, 0x0a);
  const stream = Buffer.concat([Buffer.from('\r\n+IPD5000\r\n'), payload, Buffer.from('\r\nOK\r\n')]);
  const chunks = cut(stream, { kind: 'random', seed: 7, max: 700 }, prng(7));
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  for (const c of chunks) parser.feed(c);
  assert.equal(events.length, 2);
  const push = events[0] as Extract<ModuleEvent, { kind: 'push' }>;
  assert.equal(push.kind, 'push');
  assert.ok(push.bytes.equals(payload));
  assert.deepEqual(events[1], { kind: 'line', text: 'OK' });
});

test('parser: header variants (SIM7600 blog `+ IPD19`, SIM800 `+RECEIVE,0,3:`), IPv6 RECV FROM', () => {
  assert.deepEqual(parseAll(['\r\n+ IPD3\r\nabc', '\r\n+RECEIVE,0,3:\r\nxyz', '\r\nRECV FROM:[::1]:80\r\n+IPD1\r\n!']), [
    'push ipd link=- from=- "abc"',
    'push receive link=0 from=- "xyz"',
    'push ipd link=- from=::1:80 "!"',
  ]);
});

test('parser: `>` is only a prompt when one is expected', () => {
  assert.deepEqual(parseAll(['\r\n> text\r\n']), ['line > text']);
  assert.deepEqual(parseAll(['\r\n>'], (p) => p.expectPrompt()), ['prompt']);
  // After the prompt, the line discipline resumes.
  assert.deepEqual(parseAll(['\r\n> ', '\r\nOK\r\n'], (p) => p.expectPrompt()), ['prompt', 'line OK']);
});

test('parser: a data echo that does not come (DATAECHO OFF) does not swallow the answer', () => {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => {
    events.push(e);
    if (e.kind === 'prompt') parser.expectDataEcho(Buffer.from('HELLO'));
  });
  parser.expectPrompt();
  parser.feed(Buffer.from('\r\n>\r\nOK\r\n\r\n+CIPSEND: 0,5,5\r\n'));
  assert.deepEqual(show(events), ['prompt', 'line OK', 'line +CIPSEND: 0,5,5']);
});

test('parser: an echo expected but not sent (echo off) leaves lines alone', () => {
  assert.deepEqual(parseAll(['\r\n+CSQ: 1,2\r\n\r\nOK\r\n'], (p) => p.expectEcho(Buffer.from('AT+CSQ\r'))), ['line +CSQ: 1,2', 'line OK']);
});

test('parser: a URC before the echo (echo on) is still a line, and the echo is consumed after it', () => {
  assert.deepEqual(parseAll(['\r\n+CIPRXGET: 1,0\r\nAT+CSQ\r', '\r\nOK\r\n'], (p) => p.expectEcho(Buffer.from('AT+CSQ\r'))), [
    'line +CIPRXGET: 1,0',
    'echo',
    'line OK',
  ]);
});

test('parser: an announced hex line that is not hex is delivered as a line', () => {
  assert.deepEqual(parseAll(['\r\n+CIPRXGET: 3,0,2,0\r\nZZZZ\r\n\r\nOK\r\n']), ['line ZZZZ', 'line OK']);
});

test('parser: endless garbage without a line feed is bounded', () => {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  for (let i = 0; i < 20; i++) parser.feed(Buffer.alloc(8192, 0x41));
  assert.ok(parser.bufferedBytes <= MAX_LINE_BYTES + 8192);
  assert.ok(events.length >= 1);
});

test('parser: reset drops a half-read block', () => {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  parser.feed(Buffer.from('\r\n+IPD10\r\nabc'));
  parser.reset();
  parser.feed(Buffer.from('\r\nRDY\r\n'));
  assert.deepEqual(show(events), ['line RDY']);
});

test('parser: a header announcing an absurd length is not believed', () => {
  const huge = MAX_BLOCK_BYTES + 1;
  assert.deepEqual(parseAll([`\r\n+IPD${huge}\r\nOK\r\n`, `\r\n+CIPRXGET: 2,0,999999999,0\r\n`, '\r\nOK\r\n']), [
    `line +IPD${huge}`,
    'line OK',
    'line +CIPRXGET: 2,0,999999999,0',
    'line OK',
  ]);
});

test('parser: random garbage never throws and never holds more than a line', () => {
  const next = prng(42);
  const alphabet = Buffer.from('\r\n>+IPD0123456789,: RECV FROM:+RECEIVE,+CIPRXGET: 2,3,ATOK\x00\xff');
  const parser = new ModuleOutputParser(() => {});
  for (let round = 0; round < 2000; round++) {
    const chunk = Buffer.alloc(1 + Math.floor(next() * 64));
    for (let i = 0; i < chunk.length; i++) chunk[i] = alphabet[Math.floor(next() * alphabet.length)] as number;
    if (next() < 0.1) parser.expectPrompt();
    if (next() < 0.1) parser.expectEcho(Buffer.from('AT+CSQ\r'));
    if (next() < 0.05) parser.expectDataEcho(chunk.subarray(0, 3));
    parser.feed(chunk);
    assert.ok(parser.bufferedBytes <= MAX_LINE_BYTES + MAX_BLOCK_BYTES + 64);
  }
});
