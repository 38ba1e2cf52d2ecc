import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, realClock } from '../../src/emulator/clock.js';

test('FakeClock starts at 0 and moves only on advance', () => {
  const clock = new FakeClock();
  assert.equal(clock.now(), 0);
  clock.advance(250);
  assert.equal(clock.now(), 250);
});

test('timers fire in time order, ties in scheduling order, with now() at their due time', () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
  clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
  clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
  clock.advance(25);
  assert.deepEqual(fired, ['a@10', 'b1@20', 'b2@20']);
  assert.equal(clock.now(), 25);
  assert.equal(clock.pending, 1);
  clock.advance(5);
  assert.deepEqual(fired, ['a@10', 'b1@20', 'b2@20', 'c@30']);
  assert.equal(clock.pending, 0);
});

test('a timer set from a callback fires in the same advance when it falls due', () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const tick = () => {
    fired.push(clock.now());
    if (fired.length < 5) clock.setTimeout(tick, 100);
  };
  clock.setTimeout(tick, 100);
  clock.advance(350);
  assert.deepEqual(fired, [100, 200, 300]);
  clock.advance(1000);
  assert.deepEqual(fired, [100, 200, 300, 400, 500]);
});

test('zero and negative delays fire on the next advance, even advance(0)', () => {
  const clock = new FakeClock();
  let fired = 0;
  clock.setTimeout(() => fired++, 0);
  clock.setTimeout(() => fired++, -5);
  assert.equal(fired, 0);
  clock.advance(0);
  assert.equal(fired, 2);
});

test('cancelled timers never fire and are not pending', () => {
  const clock = new FakeClock();
  let fired = false;
  const timer = clock.setTimeout(() => (fired = true), 10);
  assert.equal(clock.pending, 1);
  timer.cancel();
  assert.equal(clock.pending, 0);
  clock.advance(20);
  assert.equal(fired, false);
  timer.cancel();
});

test('realClock fires after the delay and can be cancelled', async () => {
  const start = realClock.now();
  await new Promise<void>((resolve) => realClock.setTimeout(resolve, 15));
  assert.ok(realClock.now() - start >= 10);
  let fired = false;
  realClock.setTimeout(() => (fired = true), 5).cancel();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fired, false);
});
