import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { AtLine } from '../../src/control/line.js';
import { BITS_PER_BYTE, LinePacer, MIN_TICK_MS, PacedModuleSide, lineTimeout } from '../../src/emulator/serve/pacing.js';
import { realClock } from '../../src/time/clock.js';

/** Every byte handed on, with the fake time it left. */
function recorder(clock: FakeClock) {
  const arrivals: number[] = [];
  const chunks: Buffer[] = [];
  return {
    arrivals,
    chunks,
    sink: (bytes: Buffer) => {
      chunks.push(bytes);
      for (let i = 0; i < bytes.length; i++) arrivals.push(clock.now());
    },
    get text() {
      return Buffer.concat(chunks).toString('latin1');
    },
  };
}

/** Advance in small steps, as real time passes. */
function run(clock: FakeClock, ms: number, step = 1): void {
  for (let t = 0; t < ms; t += step) clock.advance(step);
}

test('pacing: 2000 bytes at 9600 bit/s leave in 10 bits each, within 2 % overall and per byte', () => {
  const clock = new FakeClock();
  const out = recorder(clock);
  const pacer = new LinePacer(out.sink, { clock, rate: () => 9600, enabled: true });
  const data = Buffer.alloc(2000, 0x55);
  pacer.write(data);
  assert.equal(out.arrivals.length, 0, 'nothing leaves before its 10 bits are out');
  run(clock, 3000, 0.5);
  assert.equal(out.arrivals.length, 2000);
  assert.ok(Buffer.concat(out.chunks).equals(data), 'the bytes, in order');
  const byteMs = (BITS_PER_BYTE * 1000) / 9600;
  const expected = 2000 * byteMs; // 2083.3 ms
  const last = out.arrivals[1999] as number;
  assert.ok(Math.abs(last - expected) / expected < 0.02, `last byte at ${last} ms, expected ${expected.toFixed(1)}`);
  out.arrivals.forEach((at, i) => {
    const due = (i + 1) * byteMs;
    assert.ok(at >= due - 1e-6, `byte ${i} left at ${at}, before its last bit (${due})`);
    assert.ok(at <= due + MIN_TICK_MS + byteMs + 0.5, `byte ${i} left at ${at}, long after ${due}`);
  });
});

test('pacing: the rate holds at 115200 and 921600 bit/s with coarse timer steps', () => {
  for (const rate of [115200, 921600]) {
    const clock = new FakeClock();
    const out = recorder(clock);
    const pacer = new LinePacer(out.sink, { clock, rate: () => rate, enabled: true });
    const bytes = rate / 10; // one second of line time
    for (let i = 0; i < 10; i++) pacer.write(Buffer.alloc(bytes / 10, i));
    run(clock, 1500, 7); // a sluggish timer: 7 ms steps
    assert.equal(out.arrivals.length, bytes);
    const last = out.arrivals[bytes - 1] as number;
    assert.ok(Math.abs(last - 1000) / 1000 < 0.02, `${rate}: last byte at ${last} ms`);
    assert.ok(pacer.backlog === 0);
  }
});

test('pacing: an idle line starts again from now; a chunk keeps the rate it was written at', () => {
  const clock = new FakeClock();
  const out = recorder(clock);
  let rate = 1000; // 10 ms a byte
  const pacer = new LinePacer(out.sink, { clock, rate: () => rate, enabled: true });
  pacer.write(Buffer.from('ab'));
  run(clock, 100);
  assert.deepEqual(out.arrivals, [10, 20]);
  // 80 ms idle: the next byte takes its own 10 ms from when it was written, not from 20.
  pacer.write(Buffer.from('c'));
  rate = 100; // 100 ms a byte for what is written from now on
  pacer.write(Buffer.from('d'));
  run(clock, 300);
  assert.deepEqual(out.arrivals, [10, 20, 110, 210]);
});

test('pacing: off passes bytes through at once; switching off flushes what waits', () => {
  const clock = new FakeClock();
  const out = recorder(clock);
  const pacer = new LinePacer(out.sink, { clock, rate: () => 300 });
  pacer.write(Buffer.from('now'));
  assert.equal(out.text, 'now');
  pacer.enabled = true;
  pacer.write(Buffer.from('slow'));
  clock.advance(70);
  assert.equal(out.text, 'nowsl', '300 bit/s: a byte every 33.3 ms');
  assert.equal(pacer.backlog, 2);
  pacer.enabled = false;
  assert.equal(out.text, 'nowslow');
  assert.equal(clock.pending, 0, 'no timer left behind');
});

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advance 1 ms at a time, letting the modem run its turns (it answers a command asynchronously). */
async function runTurns(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t++) {
    clock.advance(1);
    await settle();
  }
}

test('pacing: a PacedModuleSide paces any module; the AtLine paces at the modem\'s line rate', async () => {
  const clock = new FakeClock();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, clock });
  const paced = new PacedModuleSide(modem, { clock, rate: () => 9600, enabled: true });
  const out = recorder(clock);
  paced.on('output', out.sink);
  paced.input(Buffer.from('AT\r'));
  await settle();
  assert.equal(out.text, '');
  run(clock, 20);
  // "AT\r" echo + "\r\nOK\r\n": 9 bytes, 9.4 ms.
  assert.equal(out.text, 'AT\r\r\nOK\r\n');
  assert.ok((out.arrivals[8] as number) >= 9.375);
  paced.detach();

  const line = new AtLine(modem, { pacing: true });
  const lineOut = recorder(clock);
  line.on('output', lineOut.sink);
  const iprAt = clock.now();
  line.input(Buffer.from('AT+IPR=300\r'));
  await runTurns(clock, 100);
  // The command reaches the modem and the OK leaves at the old rate (115200: 11 bytes in, 19 out, 2.6 ms) ...
  assert.equal(lineOut.text, 'AT+IPR=300\r\r\nOK\r\n');
  assert.ok((lineOut.arrivals[lineOut.arrivals.length - 1] as number) - iprAt < 10, 'the OK went at 115200');
  assert.equal(modem.state.serial.lineBaud, 300);
  // ... and what follows at 300 bit/s, both ways (33.3 ms a byte): "AT\r" reaches the modem a
  // byte at a time, each echoed as it arrives, so the echo of "A" leaves at 66.7 ms; the echo and
  // "\r\nOK\r\n" are 9 bytes on the way back, 300 ms of line: the OK's last byte at 333.3 ms.
  const start = clock.now();
  line.input(Buffer.from('AT\r'));
  await runTurns(clock, 400);
  assert.equal(lineOut.text.slice(-9), 'AT\r\r\nOK\r\n');
  const echoed = (lineOut.arrivals[lineOut.arrivals.length - 9] as number) - start;
  assert.ok(Math.abs(echoed - 66.7) / 66.7 < 0.02, `the echo of "A" left at ${echoed} ms`);
  const took = (lineOut.arrivals[lineOut.arrivals.length - 1] as number) - start;
  assert.ok(Math.abs(took - 333.3) / 333.3 < 0.02, `"AT\r" in and 9 bytes out at 300 bit/s took ${took} ms`);
  assert.equal(line.counters.hostBytes, 14);
  line.detach();
});

test('pacing: real time, generous bounds: 960 bytes at 9600 bit/s take about a second', async () => {
  const out: Buffer[] = [];
  const pacer = new LinePacer((b) => out.push(b), { rate: () => 9600, enabled: true });
  const started = performance.now();
  pacer.write(Buffer.alloc(960, 0x41));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('not done in 3 s')), 3000);
    const poll = setInterval(() => {
      if (pacer.backlog === 0) {
        clearInterval(poll);
        clearTimeout(deadline);
        resolve();
      }
    }, 5);
  });
  const took = performance.now() - started;
  assert.equal(Buffer.concat(out).length, 960);
  assert.ok(took >= 990 && took < 1500, `took ${took.toFixed(0)} ms`);
});

test('pacing: past the high-water mark the source is told to stop, and to go on below half of it', () => {
  const clock = new FakeClock();
  const out = recorder(clock);
  const pressure: [number, boolean][] = [];
  const pacer = new LinePacer(out.sink, {
    clock,
    rate: () => 10_000, // 1 byte a ms
    enabled: true,
    highWaterBytes: 1000,
    onPressure: (full) => pressure.push([clock.now(), full]),
  });
  pacer.write(Buffer.alloc(600));
  assert.deepEqual(pressure, []);
  pacer.write(Buffer.alloc(600));
  assert.deepEqual(pressure, [[0, true]]);
  run(clock, 699);
  assert.deepEqual(pressure, [[0, true]], 'still 501 waiting at 699 ms');
  run(clock, 10);
  // Batches of 4 ms: at 704 ms, 496 bytes (less than half) wait.
  assert.deepEqual(pressure, [
    [0, true],
    [704, false],
  ]);
  run(clock, 600);
  assert.equal(out.arrivals.length, 1200);
});

test('pacing: the host\'s input reaches the modem at the line rate too; a flood holds the host until the line caught up', async () => {
  const clock = new FakeClock();
  const modem = new EmulatedModem({ config: { bootUrcs: false }, clock });
  const line = new AtLine(modem, { pacing: true });
  const arrivals: number[] = [];
  line.on('input', (bytes) => {
    for (let i = 0; i < bytes.length; i++) arrivals.push(clock.now());
  });
  const holds: [number, boolean][] = [];
  line.on('input-hold', (held) => holds.push([clock.now(), held]));
  // 115200 bit/s: 86.8 µs a byte. 1152 bytes are 100 ms of line.
  line.input(Buffer.alloc(1152, 0x20));
  assert.equal(arrivals.length, 0, 'nothing reaches the modem before its 10 bits are in');
  run(clock, 150, 0.5);
  assert.equal(arrivals.length, 1152);
  const byteMs = (BITS_PER_BYTE * 1000) / 115200;
  arrivals.forEach((at, i) => assert.ok(at >= (i + 1) * byteMs - 1e-6, `byte ${i} reached the modem at ${at}, before its last bit`));
  const last = arrivals[1151] as number;
  assert.ok(Math.abs(last - 100) / 100 < 0.02, `the last byte at ${last} ms`);
  assert.equal(line.counters.hostBytes, 1152);
  await settle();

  // A host writing faster than the line: past 32 KiB waiting, the transport is asked to stop reading.
  const start = clock.now();
  for (let i = 0; i < 40; i++) line.input(Buffer.alloc(1024, 0x20));
  assert.equal(line.inputPacer.backlog, 40 * 1024);
  assert.ok(line.inputHeld, 'held while 40 KiB wait for the line');
  assert.deepEqual(holds, [[start, true]]);
  run(clock, 4000, 4);
  await settle();
  assert.equal(line.inputPacer.backlog, 0);
  assert.equal(line.inputHeld, false, 'released once the line caught up');
  assert.equal(holds.length, 2);
  const released = (holds[1] as [number, boolean])[0] - start;
  // Released below half the mark (16 KiB waiting): 24 KiB carried, 2.13 s of line.
  assert.ok(Math.abs(released - (24 * 1024 + 1) * byteMs) < 10, `released after ${released} ms`);

  // Pacing off hands on whatever waits, both ways.
  line.input(Buffer.from('AT'));
  line.pacing = false;
  assert.equal(line.inputPacer.backlog, 0);
  assert.equal(line.pacing, false);
  line.detach();
});

test('on the real clock a line wait never fires before its due time, and a cancelled one never fires', async () => {
  // Real timers by necessity (this is the real-clock path): only "not early" and "not at all" are
  // asserted, which hold however busy the machine is; each wait is bounded.
  for (const [ms, precise] of [[0.2, false], [3, true], [3, false]] as const) {
    const due = realClock.now() + ms;
    const firedAt = await new Promise<number>((resolve) => lineTimeout(realClock, () => resolve(realClock.now()), due, precise));
    assert.ok(firedAt >= due, `${ms} ms (precise ${precise}): fired ${due - firedAt} ms early`);
  }
  let fired = false;
  const timer = lineTimeout(realClock, () => (fired = true), realClock.now() + 2, true);
  timer.cancel();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(fired, false);
});
