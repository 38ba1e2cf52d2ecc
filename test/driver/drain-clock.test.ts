/**
 * drained(): a SerialPort-like transport's drain is waited for, within its bound (fake clock);
 * a transport without drain (a socket, a memory pipe) resolves at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { drained } from '../../src/driver/transports/drain.js';
import { FakeClock } from '../../src/time/clock.js';

class DrainablePort extends PassThrough {
  readonly waiting: (() => void)[] = [];
  drain(callback: () => void): void {
    this.waiting.push(callback);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('drained: waits for a port drain to call back, and no longer than its bound', async () => {
  const clock = new FakeClock();
  const port = new DrainablePort();
  let done = false;
  void drained(port, clock, 500).then(() => (done = true));
  await tick();
  assert.equal(done, false, 'waiting for the port');
  port.waiting.shift()?.();
  await tick();
  assert.equal(done, true, 'the port drained');

  let bounded = false;
  void drained(port, clock, 500).then(() => (bounded = true));
  clock.advance(499);
  await tick();
  assert.equal(bounded, false);
  clock.advance(1);
  await tick();
  assert.equal(bounded, true, 'a port that never drains is given up on after the bound');
});

test('drained: a transport without drain resolves at once', async () => {
  let done = false;
  void drained(new PassThrough(), new FakeClock()).then(() => (done = true));
  await tick();
  assert.equal(done, true);
});
