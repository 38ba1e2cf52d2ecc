/**
 * Transparent data mode's timing on a fake clock (data-mode.ts): the held tail's release, `+++`
 * with its guard times, the CLOSED probe, and the retry-free waits of the channel. Every step of
 * time is the test's; nothing depends on how busy the machine is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockedChannel, enterDataMode, settle, stallableWire } from './support/clocked-module.js';
import { guardMarginMs } from '../../src/driver/data-mode.js';

const GUARD = 100;
const timing = { guardMs: GUARD, escapeAnswerMs: 250 } as const;

test('data mode (fake clock): a trailing CRLF is held only until 50 ms of quiet, then delivered', async () => {
  const rig = clockedChannel(timing);
  try {
    await enterDataMode(rig);
    await rig.print('+OK ready\r\n');
    assert.equal(rig.passthrough(), '+OK ready', 'the CRLF could start \\r\\nCLOSED\\r\\n: held');
    await rig.advance(45);
    assert.equal(rig.passthrough(), '+OK ready', 'still held before the quiet time');
    await rig.advance(5);
    assert.equal(rig.passthrough(), '+OK ready\r\n', 'released after 50 ms of quiet');
    // A marker that arrives whole within the quiet time is still recognised.
    let candidates = 0;
    rig.channel.on('close-candidate', () => candidates++);
    await rig.print('x\r\nCLO');
    await rig.advance(20);
    await rig.print('SED\r\n');
    assert.equal(candidates, 1, 'a split CLOSED within the quiet time is a close candidate');
    assert.equal(rig.passthrough(), '+OK ready\r\nx');
  } finally {
    rig.close();
  }
});

test('data mode (fake clock): +++ is written only after the guard time, and the OK after the trailing guard ends data mode', async () => {
  const rig = clockedChannel(timing);
  try {
    await enterDataMode(rig);
    const escaped = rig.channel.escapeDataMode();
    await rig.advance(GUARD - 5);
    assert.equal(rig.took(), '', 'silence before +++');
    await rig.advance(5);
    assert.equal(rig.took(), '+++');
    // Data the peer sent before the module answered, an OK inside it among them.
    await rig.print('peer\r\nOK\r\nbytes');
    await rig.advance(GUARD - 10);
    await rig.print('\r\nOK\r\n');
    await rig.advance(40);
    assert.equal(await escaped, 'OK');
    assert.equal(rig.channel.inDataMode, false);
    assert.equal(rig.passthrough(), 'peer\r\nOK\r\nbytes', 'the OK in flight was data');
  } finally {
    rig.close();
  }
});

test('data mode (fake clock): the guard before +++ counts from when the last data left, not from the escape call', async () => {
  const wire = stallableWire();
  const rig = clockedChannel(timing, wire);
  try {
    await enterDataMode(rig);
    // The data is written, then the transport stalls it for 60 ms before it reaches the module.
    wire.hold();
    rig.channel.writeData(Buffer.from('last bytes'));
    const escaped = rig.channel.escapeDataMode();
    await rig.advance(60);
    assert.equal(rig.took(), '', 'nothing reached the module while the wire stalled');
    wire.release();
    await settle();
    assert.equal(rig.took(), 'last bytes');
    // The module's guard runs from here: a +++ at 100 ms after the escape call would be data.
    const margin = guardMarginMs(GUARD);
    await rig.advance(GUARD + margin - 5, 1);
    assert.equal(rig.took(), '', `silence for the guard plus ${margin} ms after the data left`);
    await rig.advance(5, 1);
    assert.equal(rig.took(), '+++');
    await rig.advance(GUARD);
    await rig.print('\r\nOK\r\n');
    await rig.advance(60);
    assert.equal(await escaped, 'OK');
    assert.equal(rig.channel.inDataMode, false);
  } finally {
    rig.close();
  }
});

test('data mode (fake clock): a probe with no OK after its guards means the link had closed', async () => {
  const rig = clockedChannel(timing);
  try {
    await enterDataMode(rig);
    await rig.print('last bytes\r\nCLOSED\r\n');
    const probe = rig.channel.probeDataMode();
    await rig.advance(GUARD);
    assert.equal(rig.took(), '+++');
    await rig.advance(GUARD + 250 + 10);
    assert.equal(await probe, 'closed');
    assert.equal(rig.passthrough(), 'last bytes');
  } finally {
    rig.close();
  }
});
