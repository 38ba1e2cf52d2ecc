/**
 * An in-memory byte pipe with two ends, for tests: what one end writes, the other reads. Delivery is
 * asynchronous (next tick), as with a real port, and in order. Destroying or ending one end ends the
 * other, like a TCP peer closing.
 */
import { Duplex } from 'node:stream';

export interface MemoryPair {
  /** The host (driver) end. */
  readonly host: Duplex;
  /** The module end (a test's scripted module, or an emulator). */
  readonly module: Duplex;
}

class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const copy = Buffer.from(chunk);
    const peer = this.peer;
    process.nextTick(() => {
      if (peer !== undefined && !peer.destroyed && !peer.readableEnded) peer.push(copy);
      callback();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    process.nextTick(() => {
      if (peer !== undefined && !peer.destroyed) peer.push(null);
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined) {
      peer.peer = undefined;
      process.nextTick(() => {
        if (!peer.destroyed) {
          peer.push(null);
          peer.destroy();
        }
      });
    }
    callback(error);
  }
}

export function createMemoryPair(): MemoryPair {
  const host = new MemoryEnd();
  const module = new MemoryEnd();
  host.peer = module;
  module.peer = host;
  return { host, module };
}
