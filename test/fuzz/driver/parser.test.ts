import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_BLOCK_BYTES, MAX_LINE_BYTES, ModuleOutputParser, type ModuleEvent } from '../../../src/at/module-output-framer.js';
import { describe as show } from '../../at/support/parser-drive.js';
import { FUZZ_SEED, runs } from '../settings.js';
import { reported } from './failure.js';
import { chunkingArbitrary, cutBytes, expectedEvents, itemArbitrary, payloadArbitrary, render, soupArbitrary, type Chunking } from './output.js';

/**
 * The driver's module-output parser under arbitrary input: well-formed output (lines, pushed
 * blocks, CIPRXGET reads, with payloads made of the module's own framing) gives exactly the events
 * it stands for however it is cut; garbage never throws, never grows memory past its bounds, and is
 * framed the same however it is cut; a reset always gets it back to clean line framing.
 */

const options = (numRuns: number) => ({ seed: FUZZ_SEED, numRuns: runs(numRuns) });

function parse(chunks: readonly Buffer[], setup?: (p: ModuleOutputParser) => void): { events: ModuleEvent[]; parser: ModuleOutputParser } {
  const events: ModuleEvent[] = [];
  const parser = new ModuleOutputParser((e) => events.push(e));
  setup?.(parser);
  for (const c of chunks) parser.feed(c);
  return { events, parser };
}

test('driver parser: well-formed output gives exactly its events (every payload byte, in order, per link) however it is cut', () => {
  reported(() => fc.assert(
    fc.property(fc.array(itemArbitrary(), { minLength: 1, maxLength: 30 }), chunkingArbitrary, (items, chunking) => {
      const stream = Buffer.concat(items.map(render));
      const { events, parser } = parse(cutBytes(stream, chunking));
      assert.deepEqual(show(events), items.flatMap(expectedEvents));
      assert.equal(parser.bufferedBytes, 0, 'nothing left over');
    }),
    options(400),
  ));
});

test('driver parser: a data echo and a command echo around pushed data are consumed, the data is not', () => {
  // ATE1: `AT+CIPSEND=1,<n><CR>` echoed, a push for another link before the prompt, `>`, the data's
  // echo, then OK and the completion; every payload may look like an echo, a prompt or a result.
  reported(() => fc.assert(
    fc.property(payloadArbitrary(), payloadArbitrary(), fc.boolean(), chunkingArbitrary, (sent, pushed, space, chunking) => {
      if (sent.length === 0) return;
      const command = Buffer.from(`AT+CIPSEND=1,${sent.length}\r`, 'latin1');
      const stream = Buffer.concat([
        command,
        Buffer.from(`\r\n+RECEIVE,2,${pushed.length}\r\n`, 'latin1'),
        pushed,
        Buffer.from(space ? '\r\n> ' : '\r\n>', 'latin1'),
        sent,
        Buffer.from(`\r\nOK\r\n\r\n+CIPSEND: 1,${sent.length},${sent.length}\r\n`, 'latin1'),
      ]);
      const events: ModuleEvent[] = [];
      const parser = new ModuleOutputParser((e) => {
        events.push(e);
        if (e.kind === 'prompt') parser.expectDataEcho(sent); // the channel writes the data on the prompt
      });
      parser.expectEcho(command);
      parser.expectPrompt();
      for (const c of cutBytes(stream, chunking)) parser.feed(c);
      assert.deepEqual(show(events), [
        'echo',
        `push receive link=2 from=- ${JSON.stringify(pushed.toString('latin1'))}`,
        'prompt',
        'echo data',
        'line OK',
        `line +CIPSEND: 1,${sent.length},${sent.length}`,
      ]);
    }),
    options(300),
  ));
});

test('driver parser: transparent data is passed through byte-exact up to the OK after +++; a CLOSED inside is held and settled', () => {
  reported(() => fc.assert(
    fc.property(payloadArbitrary(), payloadArbitrary(), fc.boolean(), chunkingArbitrary, (before, after, closedIsData, chunking) => {
      // Bytes of the data itself must not contain the end marker (the module could not tell either).
      const clean = (b: Buffer): Buffer => {
        let text = b.toString('latin1');
        for (let was = ''; was !== text; ) {
          was = text;
          text = text.replaceAll('\r\nOK\r\n', '').replaceAll('\r\nCLOSED\r\n', '');
        }
        return Buffer.from(text, 'latin1');
      };
      const a = clean(before);
      const b = clean(after);
      const marker = Buffer.from('\r\nCLOSED\r\n', 'latin1');
      const stream = Buffer.concat([a, marker, b, Buffer.from('\r\nOK\r\n', 'latin1'), Buffer.from('\r\n+CSQ: 20,99\r\n', 'latin1')]);
      const events: ModuleEvent[] = [];
      const parser = new ModuleOutputParser((e) => events.push(e));
      parser.enterPassthrough();
      parser.watchCloseMarker('CLOSED');
      for (const c of cutBytes(stream, chunking)) parser.feed(c);
      assert.equal(show(events).join('|'), a.length > 0 ? `passthrough ${JSON.stringify(a.toString('latin1'))}|close-candidate` : 'close-candidate');
      const held = parser.heldBytes;
      assert.ok(held !== undefined && held.equals(stream.subarray(a.length)), 'everything from the marker on is held');
      events.length = 0;
      if (closedIsData) {
        // The probe's `+++` got OK: the marker and what followed were data, up to that OK.
        parser.settleHeld(marker.length + b.length, 'command');
        const data = Buffer.concat([marker, b]).toString('latin1');
        assert.deepEqual(show(events), [`passthrough ${JSON.stringify(data)}`, 'line OK', 'line +CSQ: 20,99']);
      } else {
        // No OK to the probe: the module had left data mode; the held bytes are command output.
        parser.settleHeld(0, 'command');
        const lines = show(events).filter((e) => e.startsWith('line ')).slice(0, 1);
        assert.deepEqual(lines, ['line CLOSED']);
      }
      assert.equal(parser.heldBytes, undefined);
    }),
    options(300),
  ));
});

/** Things the channel may do to the parser between two chunks. */
type Control =
  | { readonly kind: 'echo'; readonly text: string }
  | { readonly kind: 'data-echo'; readonly bytes: Buffer }
  | { readonly kind: 'prompt' | 'cancel-prompt' | 'clear-echo' | 'enter' | 'leave' | 'reset' }
  | { readonly kind: 'end-at'; readonly texts: readonly string[] }
  | { readonly kind: 'watch'; readonly text: string | undefined }
  | { readonly kind: 'settle'; readonly bytes: number; readonly then: 'command' | 'data' };

const controlArbitrary: fc.Arbitrary<Control> = fc.oneof(
  fc.constantFrom('AT\r', 'AT+CSQ\r', 'AT+CIPSEND=1,5\r', 'ATE1\r').map((text): Control => ({ kind: 'echo', text })),
  payloadArbitrary(40).map((bytes): Control => ({ kind: 'data-echo', bytes })),
  fc.constantFrom<Control>({ kind: 'prompt' }, { kind: 'cancel-prompt' }, { kind: 'clear-echo' }, { kind: 'enter' }, { kind: 'leave' }, { kind: 'reset' }),
  fc.constantFrom<readonly string[]>(['OK'], ['OK', 'CLOSED'], []).map((texts): Control => ({ kind: 'end-at', texts })),
  fc.constantFrom('CLOSED', undefined).map((text): Control => ({ kind: 'watch', text })),
  fc.record({ bytes: fc.integer({ min: -5, max: 5000 }), then: fc.constantFrom<'command' | 'data'>('command', 'data') }).map((r): Control => ({ kind: 'settle', ...r })),
);

function apply(parser: ModuleOutputParser, control: Control): void {
  switch (control.kind) {
    case 'echo':
      return parser.expectEcho(Buffer.from(control.text, 'latin1'));
    case 'data-echo':
      return parser.expectDataEcho(control.bytes);
    case 'prompt':
      return parser.expectPrompt();
    case 'cancel-prompt':
      return parser.cancelPrompt();
    case 'clear-echo':
      return parser.clearEcho();
    case 'enter':
      return parser.enterPassthrough();
    case 'leave':
      return parser.leavePassthrough();
    case 'reset':
      return parser.reset();
    case 'end-at':
      return parser.endPassthroughAt(control.texts);
    case 'watch':
      return parser.watchCloseMarker(control.text);
    case 'settle':
      return parser.settleHeld(control.bytes, control.then);
  }
}

test('driver parser: garbage and any sequence of channel calls never throw, keep memory bounded, and a reset always recovers', () => {
  const step = fc.oneof({ weight: 3, arbitrary: soupArbitrary(12).map((bytes) => ({ bytes })) }, { weight: 1, arbitrary: controlArbitrary.map((control) => ({ control })) });
  reported(() => fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      const events: ModuleEvent[] = [];
      const parser = new ModuleOutputParser((e) => events.push(e));
      let largestChunk = 0;
      for (const s of steps) {
        if ('bytes' in s) {
          largestChunk = Math.max(largestChunk, s.bytes.length);
          parser.feed(s.bytes);
        } else apply(parser, s.control);
        const held = parser.heldBytes?.length ?? 0;
        assert.ok(parser.bufferedBytes - held <= MAX_LINE_BYTES + MAX_BLOCK_BYTES + largestChunk, `${parser.bufferedBytes} bytes buffered`);
      }
      for (const e of events) {
        if (e.kind === 'line') assert.ok(e.text.length > 0 && !e.text.includes('\n'), `line ${JSON.stringify(e.text.slice(0, 40))}`);
        if (e.kind === 'push' || e.kind === 'rxget') assert.ok(e.bytes.length <= MAX_BLOCK_BYTES, 'a block no larger than believed');
      }
      events.length = 0;
      parser.reset();
      assert.equal(parser.bufferedBytes, 0);
      parser.feed(Buffer.from('\r\nOK\r\n+IPD2\r\nhi', 'latin1'));
      assert.deepEqual(show(events), ['line OK', 'push ipd link=- from=- "hi"']);
    }),
    options(500),
  ));
});

/** The parser states a channel may leave it in while garbage arrives. */
const SETUPS: readonly { name: string; setup: (p: ModuleOutputParser) => void }[] = [
  { name: 'command mode', setup: () => {} },
  { name: 'an echo expected', setup: (p) => p.expectEcho(Buffer.from('AT+CIPSEND=1,5\r', 'latin1')) },
  { name: 'a prompt expected', setup: (p) => p.expectPrompt() },
  {
    name: 'passthrough ending at OK, watching CLOSED',
    setup: (p) => {
      p.enterPassthrough();
      p.endPassthroughAt(['OK']);
      p.watchCloseMarker('CLOSED');
    },
  },
];

test('driver parser: garbage is framed the same whole, byte by byte and in any chunks', () => {
  reported(() => fc.assert(
    fc.property(soupArbitrary(), chunkingArbitrary, fc.integer({ min: 0, max: SETUPS.length - 1 }), (soup, chunking, which) => {
      const { setup } = SETUPS[which] as (typeof SETUPS)[number];
      const whole = parse([soup], setup);
      const cut = parse(cutBytes(soup, chunking as Chunking), setup);
      assert.deepEqual(show(cut.events), show(whole.events));
      assert.equal(cut.parser.bufferedBytes, whole.parser.bufferedBytes, 'the same bytes are left waiting');
      assert.deepEqual(cut.parser.heldBytes, whole.parser.heldBytes);
    }),
    options(500),
  ));
});
