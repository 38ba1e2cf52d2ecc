import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/emulator/clock.js';
import { EscapeDetector } from '../../src/emulator/escape-detector.js';

function setup() {
  const clock = new FakeClock();
  const events: string[] = [];
  const detector = new EscapeDetector(clock, {
    data: (b) => events.push(`data:${b.toString('latin1')}`),
    escape: () => events.push('escape'),
  });
  const send = (text: string) => detector.input(Buffer.from(text, 'latin1'));
  const dataSeen = () => events.filter((e) => e.startsWith('data:')).map((e) => e.slice(5)).join('');
  return { clock, events, send, dataSeen, detector };
}

test('guarded +++ in one chunk escapes after the trailing guard, and nothing reaches the peer', () => {
  const { clock, events, send } = setup();
  clock.advance(1000);
  send('+++');
  clock.advance(999);
  assert.deepEqual(events, []);
  clock.advance(1);
  assert.deepEqual(events, ['escape']);
});

test('+ characters typed one by one within 900 ms escape', () => {
  const { clock, events, send } = setup();
  clock.advance(1500);
  send('+');
  clock.advance(900);
  send('+');
  clock.advance(500);
  send('+');
  clock.advance(1000);
  assert.deepEqual(events, ['escape']);
});

test('+++ without the leading guard is data', () => {
  const { clock, events, send, dataSeen } = setup();
  clock.advance(1000);
  send('abc');
  clock.advance(999);
  send('+++');
  clock.advance(5000);
  assert.equal(dataSeen(), 'abc+++');
  assert.ok(!events.includes('escape'));
});

test('+++ inside a chunk of data is data', () => {
  const { clock, send, dataSeen, events } = setup();
  clock.advance(2000);
  send('x+++y');
  clock.advance(5000);
  assert.equal(dataSeen(), 'x+++y');
  assert.ok(!events.includes('escape'));
});

test('a byte inside the trailing guard makes the +++ data, in order', () => {
  const { clock, send, dataSeen, events } = setup();
  clock.advance(1000);
  send('+++');
  clock.advance(500);
  send('Z');
  clock.advance(5000);
  assert.equal(dataSeen(), '+++Z');
  assert.ok(!events.includes('escape'));
});

test('a gap over 900 ms between + releases them as data', () => {
  const { clock, send, dataSeen, events } = setup();
  clock.advance(1000);
  send('++');
  clock.advance(901);
  assert.equal(dataSeen(), '++');
  send('+');
  clock.advance(5000);
  assert.equal(dataSeen(), '+++');
  assert.ok(!events.includes('escape'));
});

test('four + are data', () => {
  const { clock, send, dataSeen, events } = setup();
  clock.advance(1000);
  send('++++');
  clock.advance(5000);
  assert.equal(dataSeen(), '++++');
  assert.ok(!events.includes('escape'));
});

test('the guard counts from restart (entering data mode)', () => {
  const { clock, send, events, detector } = setup();
  clock.advance(5000);
  detector.restart();
  clock.advance(999);
  send('+++');
  clock.advance(2000);
  assert.ok(!events.includes('escape'));
});

test('a custom guard time is honoured', () => {
  const clock = new FakeClock();
  const events: string[] = [];
  const detector = new EscapeDetector(
    clock,
    { data: () => events.push('data'), escape: () => events.push('escape') },
    { guardMs: 200, maxGapMs: 100 },
  );
  clock.advance(200);
  detector.input(Buffer.from('+++'));
  clock.advance(200);
  assert.deepEqual(events, ['escape']);
});
