import { CTRL_Z, ESC, ETX } from '../at/result-codes.js';
import type { DataRequest, DataResult } from './commands/types.js';

/**
 * The CIPSEND data phase after the `>` prompt (spec §2.2.4, §3.5): collects a fixed number of
 * bytes, or bytes up to an unescaped Ctrl-Z (ESC cancels, ETX makes the next byte literal).
 *
 * The input it is fed is the modem's own (never written to afterwards), so runs of payload are
 * kept as views of it and joined once at the end: no per-byte copy. A Ctrl-Z send keeps at most
 * `max` bytes; what comes after that up to the Ctrl-Z is consumed and counted as overflow.
 */
export class DataPhase {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private escaped = false;
  private overflow = false;

  constructor(
    readonly request: DataRequest,
    readonly resolve: (result: DataResult) => void,
  ) {}

  /** Take bytes from the front of `bytes`: how many were consumed, and the result once the phase ended. */
  feed(bytes: Buffer): { used: number; result: DataResult | undefined } {
    return 'length' in this.request ? this.feedFixed(bytes, this.request.length) : this.feedVariable(bytes, this.request.max);
  }

  private feedFixed(bytes: Buffer, total: number): { used: number; result: DataResult | undefined } {
    const used = Math.min(total - this.length, bytes.length);
    this.keep(bytes.subarray(0, used), Infinity);
    return { used, result: this.length === total ? { kind: 'data', data: this.joined() } : undefined };
  }

  private feedVariable(bytes: Buffer, max: number): { used: number; result: DataResult | undefined } {
    let pos = 0;
    while (pos < bytes.length) {
      if (this.escaped) {
        this.escaped = false;
        this.keep(bytes.subarray(pos, pos + 1), max);
        pos++;
        continue;
      }
      let end = pos;
      while (end < bytes.length && !isSpecial(bytes[end] as number)) end++;
      this.keep(bytes.subarray(pos, end), max);
      if (end === bytes.length) return { used: end, result: undefined };
      const special = bytes[end] as number;
      pos = end + 1;
      if (special === ETX) this.escaped = true;
      else if (special === ESC) return { used: pos, result: { kind: 'cancelled' } };
      else return { used: pos, result: this.overflow ? { kind: 'overflow' } : { kind: 'data', data: this.joined() } };
    }
    return { used: pos, result: undefined };
  }

  private keep(run: Buffer, max: number): void {
    if (run.length === 0) return;
    const room = max - this.length;
    if (run.length > room) {
      this.overflow = true;
      run = run.subarray(0, Math.max(0, room));
      if (run.length === 0) return;
    }
    this.parts.push(run);
    this.length += run.length;
  }

  private joined(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.length);
  }
}

const isSpecial = (b: number): boolean => b === CTRL_Z || b === ESC || b === ETX;
