/**
 * What the module writes to the host, between its parts and the transport: replies as bursts,
 * URCs held while a reply, a data phase or data mode is in progress, and the output pressure that
 * tells the socket service to stop reading its links.
 *
 * - A burst: what a command prints is gathered and written as one chunk at its end (or at its
 *   prompt), as a UART sends a reply back to back, so a host reading after an idle gap gets it
 *   whole (issue 11 item 9; ESP-IDF's esp_modem depends on it).
 * - Held URCs: bounded. Past HELD_URC_HIGH_WATER the output is under pressure (the links stop
 *   reading); past HELD_URC_LIMIT further URCs are dropped and counted. Written in order, each as
 *   its own chunk, in linear time however many there are.
 * - Pressure: true while a transport reports that the host does not read (`setStall`), or while
 *   too many URC bytes are held.
 */

import { setReason } from '../common/reasons.js';

/**
 * URC bytes held (behind a command, a `>` prompt or data mode) above which the module stops
 * reading its links (`output-pressure`): pushed data then waits in the peers' TCP windows.
 */
export const HELD_URC_HIGH_WATER = 64 * 1024;
/**
 * Held URC bytes beyond which further URCs are dropped (and logged): with links paused at
 * HELD_URC_HIGH_WATER only what was already read (one socket read per link) can get here.
 */
export const HELD_URC_LIMIT = 4 * 1024 * 1024;

export interface OutputSink {
  /** Bytes for the host, in order. */
  write(bytes: Buffer): void;
  /** Whether URCs must wait now (a reply, a data phase or data mode is in progress). */
  holding(): boolean;
  /** The pressure changed; `hostStalled`: a transport says the host does not read. */
  pressureChanged(full: boolean, hostStalled: boolean): void;
  log(message: string): void;
}

export class PortOutput {
  private burst: Buffer[] | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** URCs dropped over HELD_URC_LIMIT since power-on. */
  droppedUrcs = 0;
  private readonly stalls: string[] = [];
  private full = false;

  constructor(private readonly sink: OutputSink) {}

  /** Part of the current burst, or written at once outside one. */
  write(bytes: Buffer): void {
    if (this.burst !== undefined) this.burst.push(bytes);
    else this.sink.write(bytes);
  }

  /** From here on, gather what is written into one burst (a command starts). */
  beginBurst(): void {
    this.burst = [];
  }

  /** Write what the burst gathered so far (a prompt went out, data echo); keep gathering. */
  flushBurst(): void {
    const burst = this.burst;
    if (burst === undefined || burst.length === 0) return;
    this.burst = [];
    this.sink.write(burst.length === 1 ? (burst[0] as Buffer) : Buffer.concat(burst));
  }

  /** The command ended: write its burst, stop gathering. */
  endBurst(): void {
    this.flushBurst();
    this.burst = undefined;
  }

  /** A framed URC: written now, or held while `holding()`. */
  urc(bytes: Buffer): void {
    if (!this.sink.holding()) {
      this.write(bytes);
      return;
    }
    if (this.heldBytes + bytes.length > HELD_URC_LIMIT) {
      if (this.droppedUrcs++ === 0) this.sink.log(`held URCs over ${HELD_URC_LIMIT} bytes: dropping URCs`);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    this.update();
  }

  /** Write the held URCs in order while nothing holds them (no shifting of a long list). */
  flushHeld(): void {
    const held = this.held;
    let i = 0;
    while (i < held.length && !this.sink.holding()) {
      const bytes = held[i++] as Buffer;
      this.heldBytes -= bytes.length;
      this.write(bytes);
    }
    if (i > 0) this.held = i === held.length ? [] : held.slice(i);
    this.update();
  }

  get heldLength(): number {
    return this.heldBytes;
  }

  /** A transport says whether the host takes its output (`full` false) or not, for `source`. */
  setStall(source: string, full: boolean): void {
    setReason(this.stalls, source, full);
    this.update();
  }

  get pressure(): boolean {
    return this.full;
  }

  get hostStalled(): boolean {
    return this.stalls.length > 0;
  }

  /** Reboot: the old life's URCs are gone (what a command printed was written first). */
  clear(): void {
    this.endBurst();
    this.held = [];
    this.heldBytes = 0;
    this.update();
  }

  private update(): void {
    const heldFull = this.full ? this.heldBytes > HELD_URC_HIGH_WATER / 2 : this.heldBytes > HELD_URC_HIGH_WATER;
    const full = this.stalls.length > 0 || heldFull;
    const changed = full !== this.full;
    this.full = full;
    if (changed || this.stalls.length > 0 !== this.stalledReported) {
      this.stalledReported = this.stalls.length > 0;
      this.sink.pressureChanged(full, this.stalledReported);
    }
  }

  private stalledReported = false;
}
