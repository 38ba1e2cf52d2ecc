/**
 * The buffer-mode reader shared by TcpSocket and UdpSocket (src/driver/buffer-reader.ts), on a
 * stand-in for `Modem.readThen`: reads are 1500 long, the next one is asked for inside the
 * previous answer's callback (what `readThen` runs as the `OK` is parsed), `<rest>` decides
 * whether to go on, a notice during a read is not lost, and back-pressure stops it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferReader, type BufferReadConsumer } from '../../src/driver/buffer-reader.js';
import type { BufferRead } from '../../src/driver/modem.js';

interface Call {
  readonly link: number;
  readonly max: number;
  readonly answer: (result: BufferRead) => void;
  readonly fail: (error: Error) => void;
}

function standIn(): { calls: Call[]; modem: { readThen: (link: number, max: number, onRead: (r: BufferRead) => void) => Promise<void> } } {
  const calls: Call[] = [];
  return {
    calls,
    modem: {
      readThen: (link, max, onRead) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ link, max, answer: (r) => (onRead(r), resolve()), fail: reject });
        }),
    },
  };
}

function consumer(wants: () => boolean = () => true): BufferReadConsumer & { got: Buffer[]; stops: number; errors: Error[] } {
  const c = {
    got: [] as Buffer[],
    stops: 0,
    errors: [] as Error[],
    wants: () => wants(),
    deliver: (bytes: Buffer) => void c.got.push(bytes),
    failed: (error: Error) => void c.errors.push(error),
    stopped: () => void c.stops++,
  };
  return c;
}

const bytes = (n: number): Buffer => Buffer.alloc(n, 0x61);

test('buffer reader: nothing is read before a notice', () => {
  const { calls, modem } = standIn();
  const reader = new BufferReader(() => modem, consumer());
  reader.pull(3);
  assert.equal(calls.length, 0);
});

test('buffer reader: reads of 1500 chained synchronously in the answer while <rest> says more waits, then stops', () => {
  const { calls, modem } = standIn();
  const c = consumer();
  const reader = new BufferReader(() => modem, c);
  reader.notice();
  reader.pull(3);
  reader.pull(3); // one read out at a time
  assert.deepEqual(calls.map((x) => [x.link, x.max]), [[3, 1500]]);
  calls[0]?.answer({ bytes: bytes(1500), rest: 1600 });
  // The next read was asked for inside the answer, before it returned.
  assert.equal(calls.length, 2);
  calls[1]?.answer({ bytes: bytes(1500), rest: 100 });
  calls[2]?.answer({ bytes: bytes(100), rest: 0 });
  assert.equal(calls.length, 3);
  assert.deepEqual(c.got.map((b) => b.length), [1500, 1500, 100]);
  assert.equal(c.stops, 1);
  assert.equal(reader.busy, false);
  assert.equal(reader.holdsData, false);
});

test('buffer reader: a notice that came while a read was out makes it read once more', () => {
  const { calls, modem } = standIn();
  const reader = new BufferReader(() => modem, consumer());
  reader.notice();
  reader.pull(0);
  reader.notice();
  calls[0]?.answer({ bytes: bytes(10), rest: 0 });
  assert.equal(calls.length, 2);
  calls[1]?.answer({ bytes: Buffer.alloc(0), rest: 0 }); // "No data"
  assert.equal(calls.length, 2);
  assert.equal(reader.holdsData, false);
});

test('buffer reader: a consumer that wants no more stops it with data held; pull resumes', () => {
  const { calls, modem } = standIn();
  let wants = true;
  const c = consumer(() => wants);
  const reader = new BufferReader(() => modem, c);
  reader.notice();
  reader.pull(1);
  wants = false;
  calls[0]?.answer({ bytes: bytes(1500), rest: 5 });
  assert.equal(calls.length, 1);
  assert.equal(reader.holdsData, true);
  assert.equal(c.stops, 1);
  wants = true;
  reader.pull(1);
  assert.equal(calls.length, 2);
});

test('buffer reader: a failed read is reported and the reader can start again', async () => {
  const { calls, modem } = standIn();
  const c = consumer();
  const reader = new BufferReader(() => modem, c);
  reader.notice();
  reader.pull(2);
  calls[0]?.fail(new Error('+IP ERROR: 4'));
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(c.errors[0]?.message, '+IP ERROR: 4');
  assert.equal(reader.busy, false);
  reader.pull(2);
  assert.equal(calls.length, 2);
});
