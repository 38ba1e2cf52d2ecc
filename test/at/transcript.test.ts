import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTranscript, traceLine } from '../../src/at/transcript.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

test('each line kind becomes its step', () => {
  const steps = parseTranscript(
    ['# a comment', '', '> AT+CSQ', '< +CSQ: 20,99', '<+ second', '<< \\r\\n>', '>> HELLO\\x1A', '! wait 10'].join('\n'),
  );
  assert.deepEqual(steps, [
    { kind: 'send', bytes: bytes('AT+CSQ\r'), line: 3 },
    { kind: 'expect', bytes: bytes('\r\n+CSQ: 20,99\r\n'), line: 4 },
    { kind: 'expect', bytes: bytes('second\r\n'), line: 5 },
    { kind: 'expect', bytes: bytes('\r\n>'), line: 6 },
    { kind: 'send', bytes: bytes('HELLO\x1a'), line: 7 },
    { kind: 'action', verb: 'wait', args: ['10'], line: 8 },
  ]);
});

test('@echo on makes every > line expect its own echo', () => {
  const steps = parseTranscript('@echo on\n> AT\n@echo off\n> AT');
  assert.deepEqual(steps, [
    { kind: 'send', bytes: bytes('AT\r'), line: 2 },
    { kind: 'expect', bytes: bytes('AT\r'), line: 2 },
    { kind: 'send', bytes: bytes('AT\r'), line: 4 },
  ]);
});

test('a bare tag is an empty body; CRLF files work', () => {
  const steps = parseTranscript('>\r\n<<\r\n');
  assert.deepEqual(steps, [
    { kind: 'send', bytes: bytes('\r'), line: 1 },
    { kind: 'expect', bytes: bytes(''), line: 2 },
  ]);
});

test('variables are substituted, unknown ones fail with the line', () => {
  const steps = parseTranscript('> AT+CIPOPEN=0,"TCP","${HOST}",${PORT}', { HOST: '127.0.0.1', PORT: 5000 });
  assert.deepEqual(steps[0], { kind: 'send', bytes: bytes('AT+CIPOPEN=0,"TCP","127.0.0.1",5000\r'), line: 1 });
  assert.throws(() => parseTranscript('\n< ${NOPE}'), /line 2: no value for \$\{NOPE\}/);
});

test('unreadable lines, empty actions and unknown settings fail with the line number', () => {
  assert.throws(() => parseTranscript('AT'), /line 1: cannot read/);
  assert.throws(() => parseTranscript('\n!'), /line 2: action without a verb/);
  assert.throws(() => parseTranscript('@echo maybe'), /line 1: unknown setting/);
  assert.throws(() => parseTranscript('< \\q'), /bad escape/);
});

test('traceLine writes replayable lines', () => {
  assert.equal(traceLine('host', bytes('AT\r')), '>> AT\\r');
  assert.equal(traceLine('module', bytes('\r\nOK\r\n')), '<< \\r\\nOK\\r\\n');
  const [step] = parseTranscript(traceLine('module', bytes('\r\n>\x00')));
  assert.deepEqual(step, { kind: 'expect', bytes: bytes('\r\n>\x00'), line: 1 });
});
