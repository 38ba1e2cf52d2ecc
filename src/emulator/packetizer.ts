import type { Clock, Timer } from './clock.js';

/** Segment size at which data-mode input is sent without waiting for the idle time (spec §3.4 [INF]). */
export const TRANSPARENT_FLUSH_BYTES = 1460;

/**
 * UART → network packetising in data mode (spec §3.4, AT+CIPCFG="transwaittm"): bytes are
 * collected and sent once the line has been idle for `idleMs`, or as soon as `maxBytes` are waiting.
 */
export class Packetizer {
  private parts: Buffer[] = [];
  private size = 0;
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly send: (packet: Buffer) => void,
    private readonly idleMs: () => number,
    private readonly maxBytes: number = TRANSPARENT_FLUSH_BYTES,
    /**
     * True while the packets go to a byte stream (TCP): the full packets cut from one input are
     * then handed on as one buffer. The peer sees the same bytes; the host OS gets one write
     * instead of one per packet, which is most of the cost of data mode at high rates.
     */
    private readonly stream: () => boolean = () => false,
  ) {}

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    let rest = bytes;
    // Complete the waiting packet first, then cut full packets straight from the input (no copy
    // of the remainder per packet: a megabyte in one chunk stays linear).
    if (this.size > 0 && this.size + rest.length >= this.maxBytes) {
      const fill = this.maxBytes - this.size;
      this.parts.push(rest.subarray(0, fill));
      rest = rest.subarray(fill);
      const packet = Buffer.concat(this.parts);
      this.parts = [];
      this.size = 0;
      this.send(packet);
    }
    if (rest.length >= this.maxBytes && this.stream()) {
      const whole = rest.length - (rest.length % this.maxBytes);
      this.send(rest.subarray(0, whole));
      rest = rest.subarray(whole);
    }
    while (rest.length >= this.maxBytes) {
      this.send(rest.subarray(0, this.maxBytes));
      rest = rest.subarray(this.maxBytes);
    }
    if (rest.length > 0) {
      this.parts.push(rest);
      this.size += rest.length;
    }
    this.timer?.cancel();
    this.timer = this.size > 0 ? this.clock.setTimeout(() => this.flush(), this.idleMs()) : undefined;
  }

  /** Send what is waiting now. */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.size === 0) return;
    const packet = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.send(packet);
  }

  /** Drop what is waiting (the connection is gone). */
  discard(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.parts = [];
    this.size = 0;
  }

  get pending(): number {
    return this.size;
  }
}
