/**
 * The long fuzz run of the emulator engine: `npm run fuzz -- [--lines N] [--seed S] [--steps M]`.
 *
 * Plays random scenarios (test/fuzz/engine) until N command lines have been typed, in batches of
 * fast-check runs seeded S, S+1, …, so the same seed replays the same run. Prints the seed, the
 * throughput and a one-line summary; on the first failure, shrinks it, prints the smallest
 * scenario found as a transcript and exits 1. Saved under test/fuzz/transcripts/ (and corrected
 * to what the module should print), the transcript runs as a regression test.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { scenarioArbitrary, type Scenario } from '../test/fuzz/engine/scenario.js';
import { FuzzFailure, runScenario } from '../test/fuzz/engine/session.js';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    steps: { type: 'string', default: '120' },
    batch: { type: 'string', default: '200' },
  },
});

const target = positive('lines', values.lines);
const maxSteps = positive('steps', values.steps);
const batchSize = positive('batch', values.batch);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positive('seed', values.seed, 0);

function positive(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`fuzz: --${name} must be an integer >= ${min}, not ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
}

console.log(`fuzz: seed ${seed}, ${target} command lines, scenarios of up to ${maxSteps} steps`);

const arbitrary = scenarioArbitrary(maxSteps);
const started = performance.now();
let lines = 0;
let scenarios = 0;
const depth = { dataPhases: 0, dataModes: 0, connections: 0, reboots: 0 };
let lastReport = started;
let shrinking = false;

const property = fc.asyncProperty(arbitrary, async (scenario) => {
  let result;
  try {
    result = await runScenario(scenario);
  } catch (err) {
    shrinking = true; // the runs that follow shrink this failure: not counted
    throw err;
  }
  if (shrinking) return;
  lines += result.lines;
  scenarios++;
  depth.dataPhases += result.dataPhases;
  depth.dataModes += result.dataModes;
  depth.connections += result.connections;
  depth.reboots += result.reboots;
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    console.log(`fuzz: ${lines} lines, ${scenarios} scenarios, ${rate(lines, now)} lines/s`);
  }
});

for (let batch = 0; lines < target; batch++) {
  const batchSeed = seed + batch;
  const details = await fc.check(property, { seed: batchSeed, numRuns: batchSize });
  if (details.failed) {
    await reportFailure(details, batchSeed);
    process.exit(1);
  }
}

const seconds = (performance.now() - started) / 1000;
console.log(
  `fuzz: ${lines} command lines in ${scenarios} scenarios (${depth.dataPhases} data phases, ${depth.dataModes} data-mode sessions, ` +
    `${depth.connections} TCP connections, ${depth.reboots} resets), ${seconds.toFixed(1)} s (${rate(lines, performance.now())} lines/s), ` +
    `seed ${seed}: no failure`,
);

function rate(count: number, now: number): string {
  return Math.round(count / ((now - started) / 1000)).toString();
}

async function reportFailure(details: fc.RunDetails<[Scenario]>, batchSeed: number): Promise<void> {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`fuzz: FAILED after ${lines} lines in ${scenarios} scenarios, ${seconds} s, seed ${seed} (batch seed ${batchSeed}, path ${details.counterexamplePath})`);
  const scenario = details.counterexample?.[0];
  if (scenario === undefined) {
    console.log(String(details.errorInstance ?? 'no counterexample'));
    return;
  }
  try {
    await runScenario(scenario, { record: true });
    console.log('the smallest scenario passes when replayed; the original error:');
    console.log(String(details.errorInstance));
  } catch (err) {
    const failure = err instanceof FuzzFailure ? err : undefined;
    console.log(`${failure?.message ?? String(err)}\n`);
    console.log(`# Smallest failing scenario (${scenario.steps.length} steps), as a transcript:`);
    console.log(failure?.transcript ?? '');
  }
  console.log(`reproduce: npm run fuzz -- --seed ${seed} --lines ${target} --steps ${maxSteps} --batch ${batchSize}`);
}
