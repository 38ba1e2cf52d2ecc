/** The sockets' idle timeout (idle-timeout.ts) on a fake clock: armed, restarted by traffic, disabled by 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleTimeout } from '../../src/driver/idle-timeout.js';
import { FakeClock } from '../../src/time/clock.js';

test('idle timeout (fake clock): fires after ms without traffic, traffic restarts the wait, 0 disables it', () => {
  const clock = new FakeClock();
  let fired = 0;
  const idle = new IdleTimeout(() => clock, () => fired++, () => false);
  idle.set(1_000);
  clock.advance(999);
  assert.equal(fired, 0);
  idle.touch();
  clock.advance(999);
  assert.equal(fired, 0, 'traffic restarted the wait');
  clock.advance(1);
  assert.equal(fired, 1);
  idle.set(0);
  clock.advance(10_000);
  assert.equal(fired, 1, 'disabled');
  assert.equal(clock.pending, 0, 'no timer left armed');
  assert.throws(() => idle.set(-1), RangeError);
});
