import { EventEmitter } from 'node:events';
import { framedLine } from '../at/frames/framing.js';
import type { EmulatedModem } from '../emulator/modem.js';
import { LinePacer } from '../emulator/serve/pacing.js';
import type { ModuleSide } from '../emulator/serve/endpoint.js';

/**
 * The AT line of one emulated module as the transports serve it: the host's bytes go to the
 * modem and the modem's bytes come out, both paced at the line rate when pacing is on (a UART
 * carries both directions at the baud rate), with URCs the control plane injects spliced in. Transports, traces and tests attach here instead of to the
 * EmulatedModem, so they see exactly what a host on the wire would.
 *
 * Events: `input` (host → module bytes), `output` (module → host bytes, as they leave the line),
 * `input-hold` (the modem's flow control, forwarded for the transport).
 */
export type UrcTiming =
  /** Queued like the module's own URCs: held while a response is in progress, printed after. */
  | 'held'
  /** Written into the line at once, even in the middle of a response (spec §1.4 allows it). */
  | 'now'
  /** Written right after the first line of the next response (between two lines of it, usually). */
  | 'mid-response';

export const URC_TIMINGS: readonly UrcTiming[] = ['held', 'now', 'mid-response'];

export interface AtLineCounters {
  /** Bytes the host sent. */
  hostBytes: number;
  /** Bytes that left the line towards the host. */
  moduleBytes: number;
  /** URCs injected by the control plane. */
  injectedUrcs: number;
}

export interface AtLineOptions {
  /** Pace both directions at `state.serial.lineBaud` from the start. */
  readonly pacing?: boolean;
  /**
   * The paced line is behind (true) or has caught up (false): the network should hold what it
   * delivers meanwhile (`SimulatedNetwork.holdDelivery`), as a real module's peers feel its UART.
   */
  readonly onPressure?: (full: boolean) => void;
}

/** The modem's `holdInput` reason while more host bytes wait for the paced line than it holds. */
export const INPUT_PACER_HOLD = 'input-pacer';

export class AtLine extends EventEmitter<{ input: [Buffer]; output: [Buffer]; 'input-hold': [boolean] }> implements ModuleSide {
  readonly counters: AtLineCounters = { hostBytes: 0, moduleBytes: 0, injectedUrcs: 0 };
  /** The pacers, made when pacing is first turned on: an unpaced line (most of a fleet) has none. */
  private outputPacer: LinePacer | undefined;
  private hostPacer: LinePacer | undefined;
  /** URCs waiting to be spliced into the next response. */
  private splice: Buffer[] = [];
  private readonly fromModule = (bytes: Buffer): void => this.moduleWrote(bytes);
  private readonly holdFromModule = (held: boolean): void => {
    this.emit('input-hold', held);
  };

  constructor(
    readonly modem: EmulatedModem,
    private readonly options: AtLineOptions = {},
  ) {
    super();
    if (options.pacing === true) this.pacing = true;
    modem.on('output', this.fromModule);
    modem.on('input-hold', this.holdFromModule);
  }

  /** Module → host. */
  get pacer(): LinePacer {
    const modem = this.modem;
    this.outputPacer ??= new LinePacer((bytes) => this.deliverOutput(bytes), {
      clock: modem.clock,
      rate: () => modem.state.serial.lineBaud,
      // A paced line that falls behind is a host that does not read, for the modem too.
      onPressure: (full: boolean) => {
        modem.setOutputPressure('pacer', full);
        this.options.onPressure?.(full);
      },
    });
    return this.outputPacer;
  }

  /** Host → module: the modem sees the host's bytes as a UART delivers them. */
  get inputPacer(): LinePacer {
    const modem = this.modem;
    this.hostPacer ??= new LinePacer((bytes) => this.deliverInput(bytes), {
      clock: modem.clock,
      rate: () => modem.state.serial.lineBaud,
      // Host bytes the line has not carried yet: past the mark the transport stops reading the host.
      onPressure: (full: boolean) => modem.holdInput(INPUT_PACER_HOLD, full),
    });
    return this.hostPacer;
  }

  /** Whether both directions are paced; turning it off hands on whatever waits, each way. */
  get pacing(): boolean {
    return this.outputPacer?.enabled ?? false;
  }

  set pacing(on: boolean) {
    if (!on && this.outputPacer === undefined) return;
    this.pacer.enabled = on;
    this.inputPacer.enabled = on;
  }

  /** Module bytes waiting for the paced line. */
  get pacedBacklog(): number {
    return this.outputPacer?.backlog ?? 0;
  }

  /** The modem asks the host to stop sending (see `EmulatedModem.holdInput`). */
  get inputHeld(): boolean {
    return this.modem.inputHeld;
  }

  /** The transport's word on whether the host reads (see `ModuleSide.setOutputPressure`). */
  setOutputPressure(source: string, full: boolean): void {
    this.modem.setOutputPressure(source, full);
  }

  /** Bytes from the host (copied: the modem keeps what it is given, and the caller may reuse these). */
  input(bytes: Uint8Array): void {
    if (bytes.length > 0) this.inputOwned(Buffer.from(bytes));
  }

  /** Bytes from the host that nobody writes to again (a socket's chunk): kept without a copy. */
  inputOwned(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.hostPacer !== undefined) this.hostPacer.write(chunk);
    else this.deliverInput(chunk);
  }

  /** Module bytes as they leave the line. */
  private deliverOutput(bytes: Buffer): void {
    this.counters.moduleBytes += bytes.length;
    this.emit('output', bytes);
  }

  /** Module bytes onto the line (paced when pacing was ever on). */
  private toLine(bytes: Buffer): void {
    if (this.outputPacer !== undefined) this.outputPacer.write(bytes);
    else this.deliverOutput(bytes);
  }

  /** Host bytes as they reach the module's end of the line. */
  private deliverInput(chunk: Buffer): void {
    this.counters.hostBytes += chunk.length;
    this.emit('input', chunk);
    this.modem.input(chunk);
  }

  /** Put a URC on the line (see `UrcTiming`). */
  injectUrc(text: string, timing: UrcTiming = 'held'): void {
    this.counters.injectedUrcs++;
    if (timing === 'held') {
      this.modem.urc(text);
      return;
    }
    if (this.modem.state.poweredOff) return;
    const framed = Buffer.from(framedLine(text, this.modem.state.serial.verbose), 'latin1');
    if (timing === 'now') this.toLine(framed);
    else this.splice.push(framed);
  }

  /** URCs still waiting for a response to land in. */
  get pendingSplices(): number {
    return this.splice.length;
  }

  /** Stop serving: drop the modem, and whatever waits in the pacer. */
  detach(): void {
    this.modem.off('output', this.fromModule);
    this.modem.off('input-hold', this.holdFromModule);
    this.outputPacer?.close();
    this.hostPacer?.close();
    this.splice = [];
  }

  private moduleWrote(bytes: Buffer): void {
    // A response is in progress (a command runs; the modem writes a reply as one burst): the splice
    // point is the end of its first line.
    const cut = this.splice.length > 0 && this.modem.holdingUrcs && !this.modem.inDataMode ? firstLineEnd(bytes) : -1;
    if (cut < 0) {
      this.toLine(bytes);
      return;
    }
    this.toLine(bytes.subarray(0, cut));
    const spliced = this.splice;
    this.splice = [];
    for (const urc of spliced) this.toLine(urc);
    if (cut < bytes.length) this.toLine(bytes.subarray(cut));
  }
}

/** The index just after the `<LF>` ending the first line with text in `bytes`, or -1. */
function firstLineEnd(bytes: Buffer): number {
  let text = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b === 0x0a && text) return i + 1;
    if (b !== 0x0a && b !== 0x0d) text = true;
  }
  return -1;
}
