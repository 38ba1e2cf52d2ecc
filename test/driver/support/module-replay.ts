/**
 * A scripted module for driver tests: it plays a recorded exchange (golden-transcript format,
 * src/at/transcript.ts) on the module end of a transport. Module output (`<`, `<+`, `<<`, echo) is
 * written when reached; a host step (`>`, `>>`) waits until the driver has written exactly those
 * bytes. Actions: `! wait MS`, `! close` (the module end goes away), `! quiet MS` (wait, then fail if
 * the host has written anything the script has not asked for yet — e.g. a send before its pacing
 * confirmation).
 *
 * Module output between two host steps can be cut into chunks (whole, one byte each, or seeded
 * random sizes), each delivered in its own I/O turn, so the driver sees every kind of split.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { escapeBytes } from '../../../src/at/escape.js';
import { parseTranscript, type TranscriptStep } from '../../../src/at/transcript.js';
import { Wakeup } from '../../support/wakeup.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/module');

export type Chunking = { kind: 'whole' } | { kind: 'bytes' } | { kind: 'random'; seed: number; max?: number };

export interface ReplayOptions {
  chunking?: Chunking;
  /** Longest wait for an expected host write. */
  hostTimeoutMs?: number;
}

export interface Replay {
  /** Resolves when the script has run to its end; rejects on a host mismatch or a timeout. */
  readonly done: Promise<void>;
  /** Host bytes received beyond what the script consumed. */
  readonly unconsumed: () => Buffer;
}

export function loadFixture(name: string, vars?: Readonly<Record<string, string | number>>): TranscriptStep[] {
  return parseTranscript(readFileSync(join(FIXTURES, name), 'utf8'), vars);
}

/** Deterministic PRNG (mulberry32) for reproducible chunkings. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cut `bytes` into chunks per `chunking` (`random` draws from `next`). */
export function cut(bytes: Buffer, chunking: Chunking, next: () => number): Buffer[] {
  if (bytes.length === 0) return [];
  if (chunking.kind === 'whole') return [bytes];
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const size = chunking.kind === 'bytes' ? 1 : 1 + Math.floor(next() * (chunking.max ?? 16));
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

export function replayModule(module: Duplex, steps: readonly TranscriptStep[], options: ReplayOptions = {}): Replay {
  const chunking = options.chunking ?? { kind: 'whole' };
  const next = prng(chunking.kind === 'random' ? chunking.seed : 1);
  const hostTimeoutMs = options.hostTimeoutMs ?? 3_000;
  let received = Buffer.alloc(0);
  const wakeup = new Wakeup();
  module.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wakeup.wake();
  });
  let closed = false;
  module.on('close', () => {
    closed = true;
    wakeup.wake();
  });

  const waitForHost = async (expected: Buffer, line: number): Promise<void> => {
    const deadline = Date.now() + hostTimeoutMs;
    while (received.length < expected.length) {
      const left = deadline - Date.now();
      if (left <= 0 || closed) {
        throw new Error(
          `fixture line ${line}: host did not send ${JSON.stringify(escapeBytes(expected))}` +
            ` (got ${JSON.stringify(escapeBytes(received))}${closed ? ', transport closed' : ''})`,
        );
      }
      await wakeup.next(left);
    }
    const got = received.subarray(0, expected.length);
    if (!got.equals(expected)) {
      throw new Error(`fixture line ${line}: host sent ${JSON.stringify(escapeBytes(got))}, expected ${JSON.stringify(escapeBytes(expected))}`);
    }
    received = received.subarray(expected.length);
  };

  const flush = async (bytes: Buffer): Promise<void> => {
    for (const chunk of cut(bytes, chunking, next)) {
      if (closed || module.destroyed) return;
      module.write(chunk);
      // Each chunk in its own turn, so the driver parses it before the next arrives.
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  const run = async (): Promise<void> => {
    let out: Buffer[] = [];
    for (const step of steps) {
      if (step.kind === 'expect') {
        out.push(step.bytes);
        continue;
      }
      await flush(Buffer.concat(out));
      out = [];
      if (step.kind === 'send') {
        await waitForHost(step.bytes, step.line);
      } else if (step.verb === 'wait') {
        await new Promise((resolve) => setTimeout(resolve, Math.min(Number(step.args[0] ?? 0), 5_000)));
      } else if (step.verb === 'quiet') {
        await new Promise((resolve) => setTimeout(resolve, Math.min(Number(step.args[0] ?? 0), 5_000)));
        if (received.length > 0) {
          throw new Error(`fixture line ${step.line}: host wrote ${JSON.stringify(escapeBytes(received))} too early`);
        }
      } else if (step.verb === 'close') {
        module.destroy();
        return;
      } else {
        throw new Error(`fixture line ${step.line}: unknown action ${step.verb}`);
      }
    }
    await flush(Buffer.concat(out));
  };

  return { done: run(), unconsumed: () => received };
}
