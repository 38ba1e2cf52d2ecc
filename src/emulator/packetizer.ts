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
  /** When the armed timer fires, and when the line will have been idle long enough. */
  private timerAt = 0;
  private idleDue = 0;

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
    if (this.size === 0) {
      this.cancelTimer();
      return;
    }
    this.armIdle(this.clock.now() + this.idleMs());
  }

  /**
   * Flush once the line has been idle until `due`. A stream of input moves the due time on every
   * chunk; rather than a new timer per chunk, the armed one re-arms itself for what is left when
   * it fires early (same flush time, one timer per idle period).
   */
  private armIdle(due: number): void {
    this.idleDue = due;
    if (this.timer !== undefined && this.timerAt <= due) return;
    this.timer?.cancel();
    this.timerAt = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      // Within the timers' 1 ms resolution of the due time counts as due (a real timer may fire
      // a fraction early by performance.now(); re-arming for that would flush a tick late).
      if (this.clock.now() > this.idleDue - 1) this.flush();
      else this.armIdle(this.idleDue);
    }, due - this.clock.now());
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Send what is waiting now. */
  flush(): void {
    this.cancelTimer();
    if (this.size === 0) return;
    const packet = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.send(packet);
  }

  /** Drop what is waiting (the connection is gone). */
  discard(): void {
    this.cancelTimer();
    this.parts = [];
    this.size = 0;
  }

  get pending(): number {
    return this.size;
  }
}
