/**
 * An in-memory byte pipe with two ends, for tests: what one end writes, the other reads. Delivery is
 * asynchronous (next tick by default), as with a real port, and in order. Destroying or ending one
 * end ends the other, like a TCP peer closing.
 *
 * It lives with the driver's transports because it is one (`a76xx/driver` exports it, its `host` end
 * is what a Modem opens); tests of the emulator borrow it as their host's wire, and the emulator
 * itself never needs it (its `module` end is any ModuleSide's byte pipe).
 */
import { Duplex } from 'node:stream';

export interface MemoryPair {
  /** The host (driver) end. */
  readonly host: Duplex;
  /** The module end (a test's scripted module, or an emulator). */
  readonly module: Duplex;
}

export interface MemoryPairOptions {
  /**
   * How a chunk is handed to the other end. `process.nextTick` (default) keeps tests quick;
   * `setImmediate` delivers after the event loop went round, as bytes from a socket are, so a
   * round trip waits behind whatever else the process does (what a latency benchmark wants).
   */
  readonly schedule?: (deliver: () => void) => void;
}

type Schedule = (deliver: () => void) => void;

class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined;

  constructor(private readonly schedule: Schedule) {
    super({ allowHalfOpen: false });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const copy = Buffer.from(chunk);
    const peer = this.peer;
    this.schedule(() => {
      if (peer !== undefined && !peer.destroyed && !peer.readableEnded) peer.push(copy);
      callback();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.schedule(() => {
      if (peer !== undefined && !peer.destroyed) peer.push(null);
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined) {
      peer.peer = undefined;
      this.schedule(() => {
        if (!peer.destroyed) {
          peer.push(null);
          peer.destroy();
        }
      });
    }
    callback(error);
  }
}

export function createMemoryPair(options: MemoryPairOptions = {}): MemoryPair {
  const schedule = options.schedule ?? ((deliver: () => void) => process.nextTick(deliver));
  const host = new MemoryEnd(schedule);
  const module = new MemoryEnd(schedule);
  host.peer = module;
  module.peer = host;
  return { host, module };
}
