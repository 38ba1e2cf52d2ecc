/**
 * Issue 13 item 6: lines while a command waits are bounded. A module printing garbage lines (or one
 * endless line) after a command was written must not grow the driver: past `maxResponseLines` /
 * `maxResponseChars` the command fails with ResponseOverflowError, the rest is dropped, and the
 * channel answers the next command once the module's final result (or the recovery time) came.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseOverflowError } from '../../src/driver/errors.js';
import { MAX_LINE_BYTES } from '../../src/at/module-output-framer.js';
import { clockedChannel, settle } from './support/clocked-module.js';

const FLOOD_BYTES = 48 * 1024 * 1024;
const CHUNK = 1024 * 1024;
/** What the channel may hold for one response: a partial line plus the response's character bound. */
const HELD_BOUND = MAX_LINE_BYTES + 256 * 1024;
/** Heap growth allowed while 48 MiB of garbage goes by (unbounded, the lines alone would be ≥ 48 MiB). */
const HEAP_BOUND = 24 * 1024 * 1024;

for (const shape of ['lines', 'one endless line'] as const) {
  test(`flood (${shape}): 48 MiB of garbage after a command: it fails with ResponseOverflowError, memory stays bounded, the channel resynchronises`, { timeout: 60_000 }, async () => {
    const rig = clockedChannel();
    try {
      const failed = rig.channel.command('AT+CIPOPEN=9,"TCP","127.0.0.1",7', { timeoutMs: 60_000 }).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      await settle();
      rig.took();
      const unit = shape === 'lines' ? 'garbage line from a confused module 0123456789\r\n' : 'x';
      const chunk = Buffer.from(unit.repeat(Math.ceil(CHUNK / unit.length)).slice(0, CHUNK), 'latin1');
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      let peakHeld = 0;
      let peakHeap = 0;
      for (let sent = 0; sent < FLOOD_BYTES; sent += chunk.length) {
        await rig.print(chunk);
        peakHeld = Math.max(peakHeld, rig.channel.bufferedBytes);
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - before);
      }
      const error = await failed;
      assert.ok(error instanceof ResponseOverflowError, String(error));
      assert.equal(error.code, 'A76XX_RESPONSE_OVERFLOW');
      assert.ok(peakHeld <= HELD_BOUND, `held ${peakHeld} bytes (bound ${HELD_BOUND})`);
      assert.ok(peakHeap <= HEAP_BOUND, `heap grew ${(peakHeap / 1048576).toFixed(1)} MiB (bound ${HEAP_BOUND / 1048576} MiB)`);
      // The module comes to its senses: its final result ends the failed command, the next one runs.
      await rig.print('\r\nOK\r\n');
      const next = rig.channel.command('AT');
      await settle();
      assert.equal(rig.took(), 'AT\r');
      await rig.print('\r\nOK\r\n');
      assert.equal((await next).final, 'OK');
    } finally {
      rig.close();
    }
  });
}
