import { EventEmitter } from 'node:events';
import type { ModuleSide } from '../../src/emulator/serve/endpoint.js';

/** Collects the bytes a stream delivers and waits (bounded) for a given amount or content. */
export class ByteCollector {
  private received = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  readonly push = (bytes: Buffer): void => {
    this.received = Buffer.concat([this.received, bytes]);
    for (const wake of this.waiters) wake();
  };

  get bytes(): Buffer {
    return this.received;
  }

  /** Resolves with everything received once `done(bytes)` holds; rejects after `timeoutMs`. */
  until(done: (bytes: Buffer) => boolean, timeoutMs = 3000, what = 'expected bytes'): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done(this.received)) return;
        cleanup();
        resolve(this.received);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.received.toString('latin1'))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Wait until the received bytes contain `text`. */
  contains(text: string | Buffer, timeoutMs?: number): Promise<Buffer> {
    const needle = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    return this.until((b) => b.includes(needle), timeoutMs, JSON.stringify(needle.toString('latin1')));
  }

  clear(): void {
    this.received = Buffer.alloc(0);
  }
}

/** A stand-in module for transport tests: records what the host sent, prints what the test says. */
export class RecordingModule extends EventEmitter<{ output: [Buffer] }> implements ModuleSide {
  readonly fromHost = new ByteCollector();

  input(bytes: Uint8Array): void {
    this.fromHost.push(Buffer.from(bytes));
  }

  print(bytes: Buffer): void {
    this.emit('output', bytes);
  }
}

/** Every byte value once, 0x00 to 0xFF. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
