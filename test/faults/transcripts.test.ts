import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadTranscript, runTranscript } from '../support/transcript-runner.js';
import { realFaultRig, scriptedFaultRig, type FaultRig } from './rig.js';

/**
 * The fault matrix as golden transcripts (see test/faults/README.md):
 * - transcripts/real/*.txt run on the real network on 127.0.0.1 with loopback peers;
 * - transcripts/scripted/*.txt run on a FakeClock and a ScriptedNetwork, for faults that must land
 *   at an exact moment (a connect still pending, a send not yet acknowledged).
 * Both go through the simulated network and the control verbs, as `a76xx emulate` does; the
 * variables and actions are those of test/faults/rig.ts.
 */
const TIMEOUT_MS = 20_000;

async function play(dir: string, file: string, rig: FaultRig): Promise<void> {
  try {
    await runTranscript(rig.port, loadTranscript(join(dir, file), rig.vars), { actions: rig.actions });
  } finally {
    await rig.close();
  }
}

const real = join(import.meta.dirname, 'transcripts/real');
for (const file of readdirSync(real).filter((f) => f.endsWith('.txt')).sort()) {
  test(`fault transcript real/${file}`, { timeout: TIMEOUT_MS }, async () => play(real, file, await realFaultRig()));
}

const scripted = join(import.meta.dirname, 'transcripts/scripted');
for (const file of readdirSync(scripted).filter((f) => f.endsWith('.txt')).sort()) {
  test(`fault transcript scripted/${file}`, { timeout: TIMEOUT_MS }, async () => play(scripted, file, scriptedFaultRig()));
}
