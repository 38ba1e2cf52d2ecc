/**
 * Seeds and sizes of the property tests. Every run is seeded, so a failure is reproduced by its
 * seed; `FUZZ_SEED=<n>` replays another seed and `FUZZ_SCALE=<k>` multiplies the run counts
 * (the defaults keep the fuzz part of `npm test` short; `npm run fuzz` is the long run).
 */
export const FUZZ_SEED = envInt('FUZZ_SEED', 0x5eed);
const SCALE = envInt('FUZZ_SCALE', 1);

/** `base` runs, scaled. */
export function runs(base: number): number {
  return Math.max(1, Math.round(base * SCALE));
}

function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}
