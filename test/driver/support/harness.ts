/**
 * Run driver code against a scripted module (module-replay.ts) over an in-memory transport, once per
 * chunking of the module's output.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { escapeBytes } from '../../../src/at/escape.js';
import { createMemoryPair } from '../../../src/driver/transports/memory.js';
import { loadFixture, replayModule, type Chunking, type Replay } from './module-replay.js';

export const CHUNKINGS: readonly Chunking[] = [
  { kind: 'whole' },
  { kind: 'bytes' },
  { kind: 'random', seed: 1, max: 7 },
  { kind: 'random', seed: 2, max: 64 },
];

export function chunkingName(c: Chunking): string {
  return c.kind === 'random' ? `random(seed ${c.seed}, ≤${c.max ?? 16})` : c.kind;
}

export interface FixtureRun<T> {
  fixture: string;
  chunking?: Chunking;
  vars?: Readonly<Record<string, string | number>>;
  /** Build the thing under test on the host end. */
  make: (host: Duplex) => T;
  /** Drive it; the scripted module must have run to its end when this returns. */
  run: (subject: T, replay: Replay) => Promise<void>;
  /** Host bytes the script may leave unconsumed (default: none). */
  allowLeftover?: boolean;
}

export async function withFixture<T>(options: FixtureRun<T>): Promise<void> {
  const { host, module } = createMemoryPair();
  const replay = replayModule(module, loadFixture(options.fixture, options.vars), { chunking: options.chunking });
  // A script failure (the host sent something else) closes the transport at once, so the driver's
  // pending promises reject instead of waiting out their timeouts.
  const replayResult = replay.done.then(
    () => undefined,
    (error: unknown) => {
      host.destroy();
      return error;
    },
  );
  const subject = options.make(host);
  let runError: unknown;
  try {
    await options.run(subject, replay);
  } catch (error) {
    runError = error;
    host.destroy();
  }
  const replayError = await replayResult;
  if (replayError !== undefined && runError !== undefined) {
    throw new AggregateError([runError, replayError], `driver: ${String(runError)}\nscript: ${String(replayError)}`);
  }
  if (replayError !== undefined) throw replayError;
  if (runError !== undefined) throw runError;
  if (options.allowLeftover !== true) {
    assert.equal(escapeBytes(replay.unconsumed()), '', 'host wrote more than the script expects');
  }
  host.destroy();
}

/** Resolve when `emitter` has emitted `event` `count` times (bounded). */
export function collect<A extends unknown[]>(
  subscribe: (listener: (...args: A) => void) => void,
  count: number,
  timeoutMs = 3_000,
): Promise<A[]> {
  return new Promise((resolve, reject) => {
    const seen: A[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} events after ${timeoutMs} ms`)), timeoutMs);
    subscribe((...args: A) => {
      seen.push(args);
      if (seen.length === count) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}
