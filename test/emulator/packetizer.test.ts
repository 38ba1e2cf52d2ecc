import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { Packetizer } from '../../src/emulator/packetizer.js';

test('bytes go out after the idle time, as one packet', () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const p = new Packetizer(clock, (b) => sent.push(b.toString()), () => 100);
  p.push(Buffer.from('ab'));
  clock.advance(60);
  p.push(Buffer.from('cd'));
  clock.advance(99);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, ['abcd']);
});

test('a full segment goes out at once; the rest waits for idle', () => {
  const clock = new FakeClock();
  const sent: number[] = [];
  const p = new Packetizer(clock, (b) => sent.push(b.length), () => 100, 1460);
  p.push(Buffer.alloc(3000, 1));
  assert.deepEqual(sent, [1460, 1460]);
  clock.advance(100);
  assert.deepEqual(sent, [1460, 1460, 80]);
});

test('flush and discard', () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const p = new Packetizer(clock, (b) => sent.push(b.toString()), () => 100);
  p.push(Buffer.from('x'));
  p.flush();
  p.push(Buffer.from('y'));
  p.discard();
  clock.advance(1000);
  assert.deepEqual(sent, ['x']);
  assert.equal(p.pending, 0);
});

test('a steady stream of input keeps one idle timer, and a shorter idle time set meanwhile still counts', () => {
  const clock = new FakeClock();
  const sent: string[] = [];
  let idle = 100;
  const p = new Packetizer(clock, (b) => sent.push(b.toString()), () => idle);
  for (let i = 0; i < 50; i++) {
    p.push(Buffer.from('z'));
    clock.advance(10);
  }
  assert.equal(clock.pending, 1, 'one timer however many chunks came in');
  assert.deepEqual(sent, []);
  idle = 20;
  p.push(Buffer.from('!'));
  clock.advance(19);
  assert.deepEqual(sent, []);
  clock.advance(1);
  assert.deepEqual(sent, ['z'.repeat(50) + '!']);
  assert.equal(clock.pending, 0);
});
