import { CLOSED, RESULT_CODES } from '../at/result-codes.js';
import { formatClient, formatIpClose, framedLine } from '../at/frames/index.js';
import { DEFAULT_ESCAPE_TIMING, EscapeDetector } from './escape-detector.js';
import { RX_BUFFER_LIMIT, TRANSMIT_QUEUE_LIMIT, type Link, type LinkCloseReason, type LinkReceiver, type SocketService } from './links.js';
import type { DataModeHandler, DataModePort } from './module-port.js';
import type { TcpConnection } from './network/types.js';
import { Packetizer } from './packetizer.js';

/**
 * Transparent (data) mode on link 0 (spec §3.4): the one session a modem can have, from the
 * `CONNECT` to the link's end.
 *
 *                 CONNECT                     +++ (guarded) / DTR off with &D1
 *   connecting ──────────► data ─────────────────────────────────────────► command
 *                           ▲  │                                             │  │
 *                           │  └── peer close / network loss: CLOSED ─┐      │  │
 *                           └──────────────── ATO: CONNECT ───────────┼──────┘  │
 *                                                                     ▼         │
 *                                      closed ◄── CIPCLOSE / NETCLOSE / peer ───┘
 *
 * In data mode every host byte goes through the escape detector to the packetizer and out on the
 * link; every link byte goes raw to the host. After `+++` the port is in command mode with link 0
 * still open ("online command mode"); what link 0 receives meanwhile is held for `ATO` or dropped
 * (dialect `escapedLinkData`, Q4).
 *
 * Choices where the spec is silent [INF]:
 * - `CLOSED` is an unsolicited line (framed like a URC, not suppressed by ATQ1). In data mode it
 *   is printed at once (URCs are held there); in command mode it goes out as a URC, so after a
 *   TCP CIPCLOSE's `OK` (`OK`, `CLOSED`, `+CIPCLOSE: 0,0`) and before a UDP close's
 *   `+CIPCLOSE: 0,0`/`OK` (spec §2.2.6).
 * - The peer closing while the host is in command mode after `+++` prints `CLOSED` too (it is the
 *   transparent link's end whatever the port's mode), then `+IPCLOSE` with the same dialect switch
 *   (Q2); `ATO` then answers `NO CARRIER`.
 * - DTR counts only in data mode. Off with `AT&D2`: the waiting UART bytes are sent, the link is
 *   closed, `OK` (command mode) then `CLOSED` (`+IPCLOSE: 0,2` with the Q2 switch: A76XX reason 2
 *   is "sending timeout or DTR off"). Off with `AT&D1` is `+++` (a `+` still undecided is lost).
 * - Only one transparent connection at a time: a client of server 0 while link 0 is in use is
 *   reset.
 * - An `<LF>` right after the `<CR>` of the command line that entered data mode (CIPOPEN, ATO) is
 *   the line's terminator, not data (spec §1.2): the modem applies the line editor's rule for it
 *   in every mode. A connection accepted into data mode follows no command line: its first byte
 *   is data whatever it is.
 * - `CONNECT FAIL` has no numeric code in the manual's table; with ATV0 it prints 3 (NO CARRIER).
 *
 * Flow control: a host can send faster than link 0's peer takes the bytes. Once more than
 * INPUT_HIGH_WATER bytes wait unsent on the link, the session holds the modem's input (`holdInput`,
 * the transports stop reading the host, as RTS/CTS would), and releases it when the queue is down to
 * INPUT_LOW_WATER, or on leaving data mode (the host must be able to type commands) or the link's
 * end. TRANSMIT_QUEUE_LIMIT stays as a last resort for hosts that cannot be held (a PTY): what
 * goes over it is lost, and the modem's log says how much.
 */

/** Unsent bytes on link 0 above which the host's input is held. */
export const INPUT_HIGH_WATER = 1024 * 1024;
/** Unsent bytes on link 0 at or below which held input is released. */
export const INPUT_LOW_WATER = 256 * 1024;
/** The reason the session gives `EmulatedModem.holdInput`. */
export const TRANSPARENT_HOLD_REASON = 'transparent link 0 queue full';

export const CONNECT_FAIL_NUMERIC = RESULT_CODES['NO CARRIER'];

type Phase = 'connecting' | 'data' | 'command' | 'closed';

/**
 * The modem's transparent mode (`EmulatedModem.transparent`): the one session it can have, if
 * link 0 is (being) used transparently.
 */
export class TransparentMode {
  /** The session in progress, if any. */
  session: TransparentSession | undefined;

  constructor(
    private readonly modem: DataModePort,
    private readonly service: SocketService,
  ) {}

  /** A new session for link 0; the caller checked that link 0 is free. */
  begin(): TransparentSession {
    const session: TransparentSession = new TransparentSession(this.modem, this.service, () => {
      if (this.session === session) this.session = undefined;
    });
    this.session = session;
    return session;
  }

  /**
   * Server 0 in transparent mode accepted `connection`: it becomes link 0 and the port goes to data
   * mode after `+CLIENT: 0,0,<ip>:<port>` and `CONNECT <baud>` (spec §2.2.14, AN§3.4.1). Only one
   * transparent connection exists at a time: while link 0 is in use the newcomer is reset.
   */
  accept(connection: TcpConnection, serverIndex: number, clientText: string): void {
    if (this.service.links[0] !== undefined || this.session !== undefined) {
      connection.abort();
      return;
    }
    const session = this.begin();
    const link = this.service.adopt(connection, serverIndex, { receiver: session });
    if (link === undefined) {
      session.abandon();
      return;
    }
    session.bind(link);
    session.connectAfter(formatClient(link.index, serverIndex, clientText));
  }
}

export class TransparentSession implements LinkReceiver, DataModeHandler {
  private phase: Phase = 'connecting';
  private link: Link | undefined;
  private readonly detector: EscapeDetector;
  private readonly packetizer: Packetizer;
  /** Link bytes not written to the host yet: before `CONNECT`, or in command mode after `+++`. */
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The link ended before `CONNECT` was printed. */
  private endedEarly: LinkCloseReason | undefined;
  /** Stops waiting for the `+CLIENT` line to be printed (accepted connections). */
  private stopWaiting: (() => void) | undefined;
  /** This session holds the modem's input (link 0's queue went over INPUT_HIGH_WATER). */
  private holdingInput = false;
  /** UART bytes lost since the queue went over TRANSMIT_QUEUE_LIMIT (reported when it ends). */
  private lostBytes = 0;

  /** Made by `TransparentMode.begin`; `ended` frees the mode's slot when the session is over. */
  constructor(
    private readonly modem: DataModePort,
    private readonly service: SocketService,
    private readonly ended: () => void,
  ) {
    this.detector = new EscapeDetector(
      modem.clock,
      { data: (bytes) => this.packetizer.push(bytes), escape: () => this.escape() },
      { ...DEFAULT_ESCAPE_TIMING, guardMs: modem.config.escapeGuardMs },
    );
    this.packetizer = new Packetizer(
      modem.clock,
      (packet) => this.transmit(packet),
      () => modem.state.ip.transWaitMs,
      undefined,
      () => this.link?.tcp !== undefined,
    );
    modem.on('dtr', this.onDtr);
  }

  /** The open failed (or the modem rebooted meanwhile): forget the session. */
  abandon(): void {
    this.finish();
  }

  /** The link the session runs on (set once the open succeeded or the connection was adopted). */
  bind(link: Link): void {
    this.link = link;
  }

  // ---------------------------------------------------------------- entering data mode

  /**
   * Transparent CIPOPEN succeeded: print `CONNECT <baud>` and switch the port to data mode. Called
   * from the command's handler, which then ends with no result code of its own.
   */
  connectFromCommand(): void {
    this.connect(true);
  }

  /**
   * A client accepted by server 0: print `clientLine` (`+CLIENT: 0,0,<ip>:<port>`) as a URC, and
   * the moment it is actually printed (now, or after the command in progress and the URCs queued
   * before it) print `CONNECT <baud>` and switch to data mode.
   */
  connectAfter(clientLine: string): void {
    const framed = Buffer.from(framedLine(clientLine, this.modem.state.serial.verbose), 'latin1');
    // The engine prints a URC as the very Buffer it was given, so this one is recognisable.
    const printed = (bytes: Buffer): void => {
      if (bytes !== framed) return;
      this.stopWaiting?.();
      if (this.phase === 'connecting') this.connect(false);
    };
    this.stopWaiting = () => {
      this.modem.off('output', printed);
      this.stopWaiting = undefined;
    };
    this.modem.on('output', printed);
    this.modem.urcRaw(framed);
  }

  /** `ATO` can resume this session. */
  get resumable(): boolean {
    return this.phase === 'command';
  }

  /** `ATO`: `CONNECT <baud>`, back to data mode, what arrived meanwhile first. */
  resume(): void {
    if (this.phase !== 'command') return;
    this.modem.resultLine(this.modem.connectText(), RESULT_CODES.CONNECT);
    this.enterData(true);
  }

  private connect(afterCommandLine: boolean): void {
    this.modem.resultLine(this.modem.connectText(), RESULT_CODES.CONNECT);
    const ended = this.endedEarly;
    if (ended === undefined) {
      this.enterData(afterCommandLine);
      return;
    }
    // The connection was over before the host heard of it: what it sent, then its end.
    this.releaseHeld();
    this.finish();
    this.printClosedNow();
    this.reportEnd(ended);
  }

  private enterData(afterCommandLine: boolean): void {
    this.phase = 'data';
    this.detector.restart();
    this.modem.enterDataMode(this, afterCommandLine);
    this.releaseHeld();
    this.updateInputHold();
  }

  // ---------------------------------------------------------------- host → link

  /** Host bytes in data mode (from the engine). */
  input(bytes: Buffer): void {
    if (this.phase !== 'data') return;
    this.detector.input(bytes);
  }

  private transmit(packet: Buffer): void {
    const link = this.link;
    if (link === undefined) return;
    if (this.service.transmit(link, packet, this.onSettled)) {
      this.reportLoss();
    } else {
      if (this.lostBytes === 0) {
        this.modem.log(`transparent link 0: over ${TRANSMIT_QUEUE_LIMIT} bytes unsent (or no socket); dropping UART bytes`);
      }
      this.lostBytes += packet.length;
    }
    this.updateInputHold();
  }

  /** A write of link 0 settled: its queue may be down to the low-water mark. */
  private readonly onSettled = (): void => this.updateInputHold();

  /** Hold the host's input above the high-water mark, release it at the low-water mark or outside data mode. */
  private updateInputHold(): void {
    const unsent = this.phase === 'data' ? (this.link?.tcp?.pendingWriteBytes ?? 0) : 0;
    if (!this.holdingInput && unsent > INPUT_HIGH_WATER) this.setInputHold(true);
    else if (this.holdingInput && unsent <= INPUT_LOW_WATER) this.setInputHold(false);
  }

  private setInputHold(on: boolean): void {
    if (this.holdingInput === on) return;
    this.holdingInput = on;
    this.modem.holdInput(TRANSPARENT_HOLD_REASON, on);
  }

  /** The end of a loss episode: say how many bytes went. */
  private reportLoss(): void {
    if (this.lostBytes === 0) return;
    this.modem.log(`transparent link 0: ${this.lostBytes} UART bytes were dropped (link queue full)`);
    this.lostBytes = 0;
  }

  // ---------------------------------------------------------------- leaving data mode

  /** A guarded `+++` (or DTR off with &D1): `OK`, command mode, link 0 stays up. */
  private escape(): void {
    if (this.phase !== 'data') return;
    this.packetizer.flush();
    this.phase = 'command';
    // Command mode must hear the host's commands.
    this.updateInputHold();
    this.modem.resultLine('OK', RESULT_CODES.OK);
    this.modem.leaveDataMode();
  }

  private readonly onDtr = (asserted: boolean): void => {
    if (asserted || this.phase !== 'data') return;
    switch (this.modem.state.serial.dtrMode) {
      case 1:
        this.detector.dispose();
        this.escape();
        break;
      case 2:
        this.hangUp();
        break;
      default:
        break; // AT&D0: DTR is ignored
    }
  };

  /** DTR off with AT&D2: send what waits, close link 0, `OK`, `CLOSED`. */
  private hangUp(): void {
    const link = this.link;
    this.packetizer.flush();
    this.finish();
    if (link !== undefined) this.service.closeByHost(link);
    this.modem.resultLine('OK', RESULT_CODES.OK);
    this.printClosedNow();
    this.modem.leaveDataMode();
    if (this.modem.dialect.transparentCloseIpclose) this.modem.urc(formatIpClose(0, 2));
  }

  // ---------------------------------------------------------------- link → host

  /** Link bytes (LinkReceiver). */
  data(chunk: Buffer): void {
    if (this.phase === 'data') this.modem.writeData(chunk);
    else if (this.phase === 'connecting' || (this.phase === 'command' && this.modem.dialect.escapedLinkData === 'hold')) this.hold(chunk);
  }

  private hold(chunk: Buffer): void {
    const link = this.link;
    // A datagram that does not fit is dropped, as a full socket buffer drops it.
    if (link?.udp !== undefined && this.heldBytes + chunk.length > RX_BUFFER_LIMIT) return;
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    // The peer feels TCP back-pressure until ATO releases the bytes.
    if (this.heldBytes >= RX_BUFFER_LIMIT) link?.holdReading('transparent-held', true);
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) this.modem.writeData(chunk);
    this.link?.holdReading('transparent-held', false);
  }

  /** The link ended (LinkReceiver): the service already freed it. */
  closed(reason: LinkCloseReason): void {
    const phase = this.phase;
    if (phase === 'closed') return;
    if (reason === 'reset') {
      // Reboot: the engine leaves data mode by itself and prints nothing of the old life.
      this.finish();
      return;
    }
    if (phase === 'connecting') {
      this.endedEarly = reason;
      return;
    }
    this.finish();
    if (phase === 'data') {
      this.printClosedNow();
      this.modem.leaveDataMode();
    } else if (reason === 'host' && this.link?.type !== 'TCP') {
      // UDP close answers synchronously: `CLOSED`, `+CIPCLOSE: 0,0`, `OK` (spec §2.2.6).
      this.printClosedNow();
    } else {
      this.modem.urc(CLOSED);
    }
    this.reportEnd(reason);
  }

  /** `+IPCLOSE` after `CLOSED` for ends the host did not ask for, when the dialect says so (Q2). */
  private reportEnd(reason: LinkCloseReason): void {
    if (!this.modem.dialect.transparentCloseIpclose) return;
    if (reason === 'remote') this.modem.urc(formatIpClose(0, 1));
    else if (reason === 'send-timeout') this.modem.urc(formatIpClose(0, 2));
  }

  /** `CLOSED`, framed like a URC but written now (URCs are held in data mode and during commands). */
  private printClosedNow(): void {
    this.modem.writeData(Buffer.from(framedLine(CLOSED, this.modem.state.serial.verbose), 'latin1'));
  }

  /** The session is over: stop timers and listeners, drop what waits, free the modem's slot. */
  private finish(): void {
    this.phase = 'closed';
    this.setInputHold(false);
    this.reportLoss();
    this.detector.dispose();
    this.packetizer.discard();
    this.stopWaiting?.();
    this.modem.off('dtr', this.onDtr);
    this.ended();
  }
}
