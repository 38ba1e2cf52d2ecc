/**
 * An in-process AT connection for the fleet bench: two Duplex ends, what one writes the other
 * reads. Unlike the test pair (src/transport/client-memory.ts, nextTick delivery) each chunk is
 * delivered from `setImmediate`, i.e. after the event loop went round — as bytes from a socket
 * are — so a round trip waits behind whatever else the process is doing, and the latencies it
 * shows are the ones a host on a real transport would see.
 */
import { Duplex } from 'node:stream';

class LoopEnd extends Duplex {
  peer: LoopEnd | undefined;

  constructor() {
    super({ allowHalfOpen: false });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer !== undefined && !peer.destroyed) peer.push(chunk);
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.peer = undefined;
    if (peer !== undefined) {
      peer.peer = undefined;
      setImmediate(() => peer.destroy());
    }
    callback(error);
  }
}

export function loopPair(): { host: Duplex; module: Duplex } {
  const host = new LoopEnd();
  const module = new LoopEnd();
  host.peer = module;
  module.peer = host;
  return { host, module };
}
