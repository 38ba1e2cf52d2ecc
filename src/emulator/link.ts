import { setReason } from '../common/reasons.js';
import type { Endpoint, TcpConnection, TcpListener, NetworkUdpSocket } from './network/types.js';

/**
 * One link slot's state (spec §2.2): the link itself (its sockets, counters, the send awaiting its
 * `+CIPSEND:`, why its socket is not read) and its receive buffer for buffer-access mode. The
 * socket service (links.ts) owns the ten of them and what happens on them.
 */

export type LinkType = 'TCP' | 'UDP' | 'UDPSERVER';

/** Why a link ended: the host closed it, the peer did, a send timed out, the network went, a reboot. */
export type LinkCloseReason = 'host' | 'remote' | 'send-timeout' | 'network' | 'reset';

/** Takes over a link's incoming data and its end (transparent mode). */
export interface LinkReceiver {
  data(chunk: Buffer, from: Endpoint): void;
  closed(reason: LinkCloseReason): void;
}

/** A send whose `+CIPSEND:` result is still to come (a new CIPSEND meanwhile is Busy). */
export interface PendingSend {
  readonly length: number;
  readonly report: (confirmed: number) => void;
}

export class Link {
  state: 'opening' | 'open' = 'opening';
  /** TCP: the peer. UDP: the fixed peer given to CIPOPEN, if any. */
  remote: Endpoint | undefined;
  /** UDP: where the last CIPSEND went (what CIPOPEN? shows when there is no fixed peer). */
  lastDestination: Endpoint | undefined;
  localPort = 0;
  tcp: TcpConnection | undefined;
  udp: NetworkUdpSocket | undefined;
  /** AT+CIPACK counters since the link opened. */
  readonly counters = { sent: 0, acked: 0, received: 0 };
  pendingSend: PendingSend | undefined;
  /** Set by transparent mode; see `LinkReceiver`. */
  receiver: LinkReceiver | undefined;
  /** Link 0 in transparent mode (CIPSEND does not apply to it). */
  transparent = false;
  /** Why the link's socket is not read (see `holdReading`). */
  private readonly readHolds: ReadHold[] = [];
  /** Cancels an open in progress. */
  abortOpen: (() => void) | undefined;

  constructor(
    readonly index: number,
    readonly type: LinkType,
    /** -1 for a client link, 0–3 for a link accepted by that server. */
    readonly serverIndex: number = -1,
  ) {}

  /** Where sends go when CIPSEND names no destination. */
  get defaultDestination(): Endpoint | undefined {
    return this.remote;
  }

  /** The TCP socket is not read (for any `ReadHold`): the peer feels TCP back-pressure. */
  get paused(): boolean {
    return this.readHolds.length > 0;
  }

  /** Stop (`on`) or resume reading the TCP socket for `reason`; it reads while no reason holds it. */
  holdReading(reason: ReadHold, on: boolean): void {
    const before = this.readHolds.length > 0;
    setReason(this.readHolds, reason, on);
    const after = this.readHolds.length > 0;
    if (before === after || this.tcp === undefined) return;
    if (after) this.tcp.pause();
    else this.tcp.resume();
  }
}

/**
 * Why a link's socket is not read: its receive buffer is full (buffer mode), the host does not
 * read what the module prints (`Modem.outputPressure`, push and transparent mode), or transparent
 * mode holds link 0's data while the port is in command mode.
 */
export type ReadHold = 'rx-buffer' | 'host' | 'transparent-held';

/** A listening TCP server (AT+SERVERSTART; filled in by the server feature). */
export interface ServerSlot {
  readonly index: number;
  readonly port: number;
  readonly backlog: number;
  readonly listener: TcpListener;
}

interface RxChunk {
  data: Buffer;
  readonly from: Endpoint;
}

/**
 * The chunk list of every empty RxBuffer: a modem has ten and most stay empty, so one shared
 * empty list instead of ten (fleet mode keeps thousands of modems). Never written to.
 */
const NO_CHUNKS: RxChunk[] = [];

/** What a link received and the host has not read yet (buffer-access mode). */
export class RxBuffer {
  private chunks: RxChunk[] = NO_CHUNKS;
  private bytes = 0;
  /** Reads stop at datagram boundaries (UDP with CIPCCFG udpRecvmode=1). */
  datagrams = false;
  /** UDP datagrams dropped because the buffer was full. */
  dropped = 0;

  get length(): number {
    return this.bytes;
  }

  /** Source of the next byte to read. */
  get headFrom(): Endpoint | undefined {
    return this.chunks[0]?.from;
  }

  push(data: Buffer, from: Endpoint): void {
    if (data.length === 0) return;
    if (this.chunks === NO_CHUNKS) this.chunks = [];
    this.chunks.push({ data, from });
    this.bytes += data.length;
  }

  /** Up to `max` bytes from the front, and where the first of them came from. */
  read(max: number): { data: Buffer; from: Endpoint } | undefined {
    const head = this.chunks[0];
    if (head === undefined || max <= 0) return undefined;
    const from = head.from;
    const parts: Buffer[] = [];
    let want = max;
    while (want > 0 && this.chunks.length > 0) {
      const chunk = this.chunks[0] as RxChunk;
      const take = Math.min(want, chunk.data.length);
      parts.push(chunk.data.subarray(0, take));
      want -= take;
      if (take === chunk.data.length) this.chunks.shift();
      else chunk.data = chunk.data.subarray(take);
      if (this.datagrams) break;
    }
    const data = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.bytes -= data.length;
    return { data, from };
  }

  /** Everything, as one list of chunks (switching back to push mode). */
  drain(): RxChunk[] {
    const chunks = this.chunks;
    this.chunks = NO_CHUNKS;
    this.bytes = 0;
    return chunks;
  }

  clear(datagrams: boolean): void {
    this.chunks = NO_CHUNKS;
    this.bytes = 0;
    this.dropped = 0;
    this.datagrams = datagrams;
  }
}

