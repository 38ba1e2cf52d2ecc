/**
 * AT+CPMUTEMP end to end: the driver's Modem.temperature() against the emulator, the value set in
 * the emulator's config (temperatureC), in each socket mode's bring-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulated } from './support/emulated.js';

for (const mode of ['push', 'buffer', 'transparent'] as const) {
  test(`device (${mode}): Modem.temperature() reads AT+CPMUTEMP`, async () => {
    const rig = await startEmulated({ mode, config: { temperatureC: 41 } });
    try {
      assert.equal(await rig.a76xx.modem.temperature(), 41);
    } finally {
      await rig.close();
    }
  });
}
