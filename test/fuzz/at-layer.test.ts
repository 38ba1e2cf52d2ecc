import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeBytes, unescapeBytes } from '../../src/at/escape.js';
import { ParamError, Params } from '../../src/at/params.js';
import { parseCommandLine, parseParams, SyntaxError, type AtCommand, type Param } from '../../src/at/syntax.js';
import { parseTranscript, traceLine, type TranscriptStep } from '../../src/at/transcript.js';
import { FUZZ_SEED, runs } from './settings.js';

/**
 * Properties of the pure AT text layer: the parsers fail only with their own error types on any
 * text, parse what they print back to the same structure, and the byte escapes and transcript
 * lines round-trip every buffer.
 */

const options = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns) });

/** Characters that steer the parsers into every branch, plus anything at all. */
const AT_CHARS = fc.constantFrom(...'+*$^&;=?," SsEeVvQq0123456789CIPOPENTUDXZ_\t\x08\x00\xff\u0100'.split(''));
const atText = fc.oneof(
  fc.string({ unit: AT_CHARS, maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
);

function onlySyntaxErrors(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
}

test('parseCommandLine throws nothing but SyntaxError, and what it returns is well formed', () => {
  fc.assert(
    fc.property(atText, (body) => {
      let commands: AtCommand[] = [];
      onlySyntaxErrors(() => (commands = parseCommandLine(body)));
      for (const c of commands) {
        assert.match(c.name, /^(?:[+*$^][A-Z0-9_]+|&[A-Z]|S\d+|[A-RT-Z])$/, c.name);
        assert.ok(['exec', 'read', 'test', 'set'].includes(c.form));
        assert.ok(c.text.length > 0 && body.includes(c.text), `text ${JSON.stringify(c.text)}`);
        if (c.form !== 'set') assert.equal(c.params.length, 0);
        for (const p of c.params) assertWellFormedParam(p);
      }
    }),
    options(3000),
  );
});

test('parseParams throws nothing but SyntaxError, and what it returns is well formed', () => {
  fc.assert(
    fc.property(atText, (list) => {
      let params: Param[] = [];
      onlySyntaxErrors(() => (params = parseParams(list)));
      for (const p of params) assertWellFormedParam(p);
      if (params.length > 0) assert.ok(params.length <= list.split(',').length);
    }),
    options(3000),
  );
});

function assertWellFormedParam(p: Param): void {
  if (p.kind === 'empty') return;
  assert.ok(!p.value.includes('"'), `quote inside ${JSON.stringify(p.value)}`);
  if (p.kind === 'bare') {
    assert.ok(p.value !== '' && p.value === p.value.trim(), `bare ${JSON.stringify(p.value)}`);
    assert.ok(!p.value.includes(','), `comma inside ${JSON.stringify(p.value)}`);
  }
}

// ---------------------------------------------------------------- printing and parsing back

const quotedValue = fc.string({ unit: fc.constantFrom(...'ab Z09,;=?.:-_ '.split('')), maxLength: 12 });
const bareValue = fc.stringMatching(/^[A-Za-z0-9.\-:]{1,10}$/);
const param: fc.Arbitrary<Param> = fc.oneof(
  fc.constant<Param>({ kind: 'empty' }),
  quotedValue.map((value): Param => ({ kind: 'string', value })),
  bareValue.map((value): Param => ({ kind: 'bare', value })),
);

function printParam(p: Param, pad: string): string {
  if (p.kind === 'empty') return pad;
  return p.kind === 'string' ? `${pad}"${p.value}"${pad}` : `${pad}${p.value}${pad}`;
}

interface Shape {
  readonly name: string;
  readonly form: AtCommand['form'];
  readonly params: readonly Param[];
}

/** A command and how it may be written (any letter case for the name, spaces around params). */
const command: fc.Arbitrary<{ shape: Shape; text: string }> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('+', '*', '$', '^'),
      fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/),
      fc.constantFrom('exec', 'read', 'test', 'set') as fc.Arbitrary<AtCommand['form']>,
      fc.array(param, { minLength: 1, maxLength: 6 }),
      fc.constantFrom('', ' '),
    )
    .map(([prefix, name, form, params, pad]) => {
      const shape: Shape = { name: prefix + name.toUpperCase(), form, params: form === 'set' ? params : [] };
      const tail = { exec: '', read: '?', test: '=?', set: `=${params.map((p) => printParam(p, pad)).join(',')}` }[form];
      return { shape, text: prefix + name + tail };
    }),
  fc.tuple(fc.stringMatching(/^[A-RT-Za-rt-z]$/), fc.stringMatching(/^[0-9]{0,3}$/)).map(([letter, digits]) => ({
    shape: basicShape(letter.toUpperCase(), digits),
    text: letter + digits,
  })),
  fc.tuple(fc.stringMatching(/^[A-Za-z]$/), fc.stringMatching(/^[0-9]{0,3}$/)).map(([letter, digits]) => ({
    shape: basicShape(`&${letter.toUpperCase()}`, digits),
    text: `&${letter}${digits}`,
  })),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom('?', '=?', '=', '=7', '')).map(([n, tail]) => ({
    shape: {
      name: `S${n}`,
      form: tail === '?' ? 'read' : tail === '=?' ? 'test' : 'set',
      params: tail === '=7' ? [{ kind: 'bare', value: '7' }] : tail === '?' || tail === '=?' ? [] : [{ kind: 'empty' }],
    } as Shape,
    text: `s${n}${tail}`,
  })),
);

function basicShape(name: string, digits: string): Shape {
  return digits === '' ? { name, form: 'exec', params: [] } : { name, form: 'set', params: [{ kind: 'bare', value: digits }] };
}

test('a command line printed from commands parses back to those commands', () => {
  fc.assert(
    fc.property(fc.array(command, { maxLength: 6 }), fc.constantFrom(';', '; ', ';;'), (commands, separator) => {
      const body = commands.map((c) => c.text).join(separator);
      const parsed = parseCommandLine(body).map(({ name, form, params }) => ({ name, form, params }));
      assert.deepEqual(parsed, commands.map((c) => c.shape));
    }),
    options(2000),
  );
});

// ---------------------------------------------------------------- typed parameter access

test('Params accessors throw nothing but ParamError, and what they return obeys the range', () => {
  const anyParam: fc.Arbitrary<Param> = fc.oneof(
    param,
    fc.string({ unit: 'binary', maxLength: 12 }).map((value): Param => ({ kind: 'string', value })),
    fc
      .oneof(fc.stringMatching(/^-?[0-9]{1,12}$/), fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }))
      .map((value): Param => ({ kind: 'bare', value })),
  );
  const access = fc.record({
    index: fc.integer({ min: -1, max: 7 }),
    min: fc.integer({ min: -5, max: 70000 }),
    span: fc.integer({ min: 0, max: 2 ** 34 }),
    fallback: fc.option(fc.integer({ min: -5, max: 9 }), { nil: undefined }),
    textFallback: fc.option(fc.string({ maxLength: 3 }), { nil: undefined }),
    words: fc.array(fc.stringMatching(/^[A-Za-z]{1,4}$/), { minLength: 1, maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.array(anyParam, { maxLength: 8 }), access, (list, a) => {
      const p = new Params(list);
      const range = { min: a.min, max: a.min + a.span };
      const checks: (() => void)[] = [
        () => p.atMost(a.index),
        () => assert.equal(typeof p.isEmpty(a.index), 'boolean'),
        () => {
          const n = p.int(a.index, range, a.fallback);
          if (n !== a.fallback) assert.ok(Number.isInteger(n) && n >= range.min && n <= range.max, `int ${n}`);
        },
        () => {
          const n = p.signedInt(a.index, range, a.fallback);
          if (n !== a.fallback) assert.ok(Number.isInteger(n) && n >= range.min && n <= range.max, `signedInt ${n}`);
        },
        () => assert.equal(typeof p.quoted(a.index, a.textFallback), 'string'),
        () => assert.equal(typeof p.text(a.index, a.textFallback), 'string'),
        () => assert.ok(a.words.includes(p.oneOf(a.index, a.words))),
      ];
      for (const check of checks) {
        try {
          check();
        } catch (err) {
          if (!(err instanceof ParamError)) throw err;
        }
      }
    }),
    options(3000),
  );
});

// ---------------------------------------------------------------- byte escapes and transcripts

test('escapeBytes/unescapeBytes round-trip every buffer; escapes are printable ASCII', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = escapeBytes(bytes);
      assert.match(text, /^[\x20-\x7e]*$/);
      assert.ok(!text.includes('${'), 'an escape must not read as a transcript variable');
      assert.deepEqual(unescapeBytes(text), Buffer.from(bytes));
    }),
    options(3000),
  );
});

const word = fc.stringMatching(/^[A-Za-z0-9_.:\-\\]{1,8}$/);
const step: fc.Arbitrary<TranscriptStep> = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((b): TranscriptStep => ({ kind: 'send', bytes: Buffer.from(b), line: 0 })),
  fc.uint8Array({ maxLength: 80 }).map((b): TranscriptStep => ({ kind: 'expect', bytes: Buffer.from(b), line: 0 })),
  fc
    .tuple(word, fc.array(word, { maxLength: 4 }))
    .map(([verb, args]): TranscriptStep => ({ kind: 'action', verb, args, line: 0 })),
);

/** Transcript text for steps, with comments and blank lines between them; returns the lines each step lands on. */
function serialise(steps: readonly TranscriptStep[], fillers: readonly number[]): { text: string; lines: number[] } {
  const out: string[] = [];
  const lines: number[] = [];
  steps.forEach((s, i) => {
    const filler = fillers[i % Math.max(1, fillers.length)] ?? 0;
    if (filler === 1) out.push('# a comment, ${NOT_A_VARIABLE}');
    if (filler === 2) out.push('');
    if (s.kind === 'send') out.push(traceLine('host', s.bytes));
    else if (s.kind === 'expect') out.push(traceLine('module', s.bytes));
    else out.push(`! ${[s.verb, ...s.args].join(' ')}`);
    lines.push(out.length);
  });
  return { text: out.join(filler0(fillers) ? '\r\n' : '\n'), lines };
}

const filler0 = (fillers: readonly number[]) => fillers[0] === 3;

test('parseTranscript(serialise(steps)) gives the steps back', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }), (steps, fillers) => {
      const { text, lines } = serialise(steps, fillers);
      const parsed = parseTranscript(text);
      assert.deepEqual(
        parsed,
        steps.map((s, i) => ({ ...s, line: lines[i] })),
      );
    }),
    options(2000),
  );
});

test('regression: data that reads like a transcript variable survives a trace', () => {
  const data = Buffer.from('GET /${HOME}/x$ HTTP/1.0\r\n', 'latin1');
  assert.deepEqual(parseTranscript(traceLine('module', data)), [{ kind: 'expect', bytes: data, line: 1 }]);
});

test('regression: a comment may mention a variable the test does not provide', () => {
  assert.deepEqual(parseTranscript('# ${PORT} is the peer\n> AT'), [{ kind: 'send', bytes: Buffer.from('AT\r'), line: 2 }]);
});
