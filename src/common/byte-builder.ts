/**
 * Bytes appended one at a time (a command line as typed, echo waiting for the end of its input
 * chunk), up to `max`. The buffer starts small and doubles as it fills, so the thousands of idle
 * modems of a fleet hold 64 bytes each rather than their caps.
 */
export class ByteBuilder {
  private bytes: Buffer;
  private used = 0;

  constructor(
    readonly max: number,
    initial = 64,
  ) {
    this.bytes = Buffer.allocUnsafe(Math.min(initial, max));
  }

  get length(): number {
    return this.used;
  }

  /** `max` bytes are in: `push` would throw. */
  get full(): boolean {
    return this.used >= this.max;
  }

  push(byte: number): void {
    if (this.used === this.bytes.length) {
      if (this.full) throw new RangeError(`ByteBuilder holds at most ${this.max} bytes`);
      const grown = Buffer.allocUnsafe(Math.min(this.max, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    this.bytes[this.used++] = byte;
  }

  /** Drop the last byte (a backspace), if any. */
  pop(): void {
    if (this.used > 0) this.used--;
  }

  /** The bytes so far as latin1 text. */
  text(): string {
    return this.bytes.toString('latin1', 0, this.used);
  }

  /** A copy of the bytes so far, and empty again. */
  take(): Buffer {
    const out = Buffer.from(this.bytes.subarray(0, this.used));
    this.used = 0;
    return out;
  }

  clear(): void {
    this.used = 0;
  }
}
