/**
 * The host's bytes waiting to be processed, as the chunks they arrived in (no concatenation, so a
 * flood while a command runs costs linear time). Each chunk carries the number of the `push` that
 * brought it, so the modem can tell bytes that arrived before its prompt from bytes after it.
 */
export class InputQueue {
  private chunks: Buffer[] = [];
  private serials: number[] = [];
  private first = 0;
  private bytes = 0;
  private pushes = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.bytes;
  }

  /** Number of chunks pushed so far (the serial the next one gets, minus one). */
  get pushed(): number {
    return this.pushes;
  }

  /** The oldest chunk waiting (what is left of it). */
  get head(): Buffer | undefined {
    return this.chunks[this.first];
  }

  /** The push number of `head`. */
  get headSerial(): number {
    return this.serials[this.first] ?? this.pushes;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.serials.push(++this.pushes);
    this.bytes += chunk.length;
  }

  /** `count` bytes of the head were used. */
  advance(count: number): void {
    const head = this.chunks[this.first];
    if (head === undefined || count === 0) return;
    this.bytes -= count;
    if (count < head.length) {
      this.chunks[this.first] = head.subarray(count);
      return;
    }
    this.first++;
    if (this.first === this.chunks.length) {
      // Emptied (the usual case: every chunk used at once): reuse the arrays.
      this.chunks.length = 0;
      this.serials.length = 0;
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.serials = this.serials.slice(this.first);
      this.first = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.serials = [];
    this.first = 0;
    this.bytes = 0;
  }
}
