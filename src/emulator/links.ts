import type { Timer } from './clock.js';
import { lifeTimeout } from './life.js';
import { openOnSlot } from './link-open.js';
import type { SocketPort } from './module-port.js';
import type { IpState } from './state.js';
import {
  asNetworkError,
  NetworkError,
  type Endpoint,
  type Network,
  type TcpConnection,
} from './network/types.js';
import { Err } from '../at/errors.js';
import { CRLF } from '../at/result-codes.js';
import { formatIpClose, formatIpd, formatNetClose, formatNetOpen, formatNetworkLost, formatReceive, formatRecvFrom, formatRxgetNotice } from '../at/frames/index.js';
import { Link, RxBuffer, type LinkCloseReason, type LinkReceiver, type PendingSend, type ServerSlot } from './link.js';

/**
 * The socket service at run time (spec §2.2 "global state"): the ten link slots with their receive
 * buffers and counters, the four server slots, and what happens on a link — data arriving (pushed
 * or buffered), sends, closes by either side, NETOPEN/NETCLOSE, network loss and reboot.
 *
 * Command handlers (commands/service.ts, socket.ts, rxget.ts, …) parse and print responses; they
 * reach sockets only through this service, which reaches them only through the `Network` interface.
 *
 * Hooks for the features built on top:
 * - TCP server: keep listeners in `servers[i]`, and hand each accepted connection to `adopt()`,
 *   which takes the lowest free link and returns it (print `+CLIENT: …` afterwards).
 * - Transparent mode: set `link.receiver` (and `link.transparent`) on link 0; the receiver then gets
 *   the link's data and its end instead of the push/buffer output and `+IPCLOSE`. `openTcp()` and
 *   `openUdp()` return the `<err>` of the open, so a `CONNECT`/`CONNECT FAIL` flow can await them.
 *   Pass the receiver to `openTcp`/`openUdp`/`adopt` so it is in place before the first byte can
 *   arrive; `transmit()` carries the UART's bytes out (no `+CIPSEND`, nothing refused).
 */

export { LINK_COUNT, SERVER_COUNT } from '../at/limits.js';
import { LINK_COUNT, MAX_READ, SERVER_COUNT } from '../at/limits.js';
/**
 * Receive buffer per link in buffer-access mode. The module's size is undocumented (spec §3.3);
 * 64 KiB is about a TCP window (A76XX `AT+CSOC` "RecvWin" default 64240). A TCP link stops reading
 * its socket once this much is waiting (the peer then feels TCP back-pressure) and resumes when the
 * host has read it below the limit; one socket read can overshoot it. A UDP datagram that does not
 * fit is dropped, as a full socket buffer drops it.
 */
export const RX_BUFFER_LIMIT = 64 * 1024;
/**
 * Bytes a TCP link may hold unsent (not yet handed to the host OS). With CIPSENDMODE=0 a send that
 * would exceed it is refused with `+CIPSEND: <link>,<req>,0` ("own send buffer full", spec §2.2.4).
 */
export const SEND_BUFFER_LIMIT = 64 * 1024;
/**
 * Transparent mode: bytes from the UART a TCP link may hold unsent. The UART has nowhere else to
 * put them (no `+CIPSEND: …,0` to refuse with), so they queue; past this much they are lost, as a
 * UART without flow control overruns.
 */
export const TRANSMIT_QUEUE_LIMIT = 16 * 1024 * 1024;

/** AT+CDNSGIP maximum response time (spec §2.2.17). */
export const DNS_TIMEOUT_MS = 6000;

export { Link, RxBuffer, type LinkCloseReason, type LinkReceiver, type LinkType, type ReadHold, type ServerSlot } from './link.js';

export interface TcpOpenRequest {
  readonly host: string;
  readonly port: number;
  readonly localPort?: number;
  /** Makes the link transparent from birth (see `LinkReceiver`). */
  readonly receiver?: LinkReceiver;
}

/** Install a transparent-mode receiver on a link before it can receive anything. */
function makeTransparent(link: Link, receiver: LinkReceiver | undefined): void {
  if (receiver === undefined) return;
  link.receiver = receiver;
  link.transparent = true;
}

export class SocketService {
  readonly links: (Link | undefined)[] = new Array<Link | undefined>(LINK_COUNT).fill(undefined);
  /**
   * Receive buffers exist from the first use on: a modem in push mode (the default) that never
   * buffers has none, which matters when thousands of modems share a process (fleet mode).
   */
  private rxBuffers: RxBuffer[] | undefined;

  /** The ten links' receive buffers (buffer-access mode), by link index. */
  get rx(): readonly RxBuffer[] {
    return (this.rxBuffers ??= Array.from({ length: LINK_COUNT }, () => new RxBuffer()));
  }

  readonly servers: (ServerSlot | undefined)[] = new Array<ServerSlot | undefined>(SERVER_COUNT).fill(undefined);
  private netTimer: Timer | undefined;

  /**
   * Datagrams dropped because the host does not read what the module prints (push or transparent
   * mode under `EmulatedModem.outputPressure`): a UART that cannot take more loses them, as a full socket
   * buffer would. Shown by `ctl status` (counters.udpDroppedForHost).
   */
  udpDroppedForHost = 0;

  /** The module calls `reset()` when a life ends and `followHostPressure()` when its output pressure changes. */
  constructor(private readonly modem: SocketPort) {}

  /** Whether what `link` receives goes to the host at once (push mode, transparent) rather than to a buffer. */
  private deliversToHost(link: Link): boolean {
    return link.receiver !== undefined || this.ip.rxmode === 0;
  }

  /**
   * The host stopped reading (or too much is held behind a prompt): stop reading the links whose
   * data would go to it, so their peers feel TCP back-pressure; read them again once it drains.
   */
  followHostPressure(full: boolean): void {
    for (const link of this.links) {
      if (link === undefined || link.state !== 'open') continue;
      link.holdReading('host', full && this.deliversToHost(link));
    }
  }

  private get ip(): IpState {
    return this.modem.state.ip;
  }

  get network(): Network | undefined {
    return this.modem.network;
  }

  /** The link in slot `index` if it is open (not opening). */
  openLink(index: number): Link | undefined {
    const link = this.links[index];
    return link?.state === 'open' ? link : undefined;
  }

  /** The lowest slot without a link, or undefined when all ten are taken. */
  lowestFreeSlot(): number | undefined {
    const index = this.links.findIndex((l) => l === undefined);
    return index < 0 ? undefined : index;
  }

  // ---------------------------------------------------------------- time

  /** A timer on the modem's clock that dies with the module's current life. */
  schedule(ms: number, fn: () => void): Timer {
    return lifeTimeout(this.modem.clock, this.modem.life, ms, fn);
  }

  /** `promise`, or a `timeout` NetworkError after `ms` on the modem's clock. */
  withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The plain clock, not `schedule`: a reboot must not leave a command waiting forever.
      const timer = this.modem.clock.setTimeout(() => reject(new NetworkError('timeout', `no answer in ${ms} ms`)), ms);
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (err: unknown) => {
          timer.cancel();
          reject(err);
        },
      );
    });
  }

  /**
   * Resolve a name for a command within the DNS answer time (spec §2.2.17): a resolver that does
   * not answer fails the name (`not-found`) rather than holding the AT port for ever.
   */
  resolveName(name: string): Promise<string> {
    const network = this.network;
    if (network === undefined) return Promise.reject(new NetworkError('unreachable', 'no network backend'));
    return this.withTimeout(network.resolve(name), DNS_TIMEOUT_MS).catch((err: unknown) => {
      if (asNetworkError(err).code === 'timeout') throw new NetworkError('not-found', `${name}: no DNS answer in ${DNS_TIMEOUT_MS} ms`);
      throw err;
    });
  }

  // ---------------------------------------------------------------- NETOPEN / NETCLOSE / loss

  /** NETOPEN accepted: after the configured latency, `+NETOPEN: 0` (or 1 when `available()` says no). */
  startNetOpen(available: () => boolean): void {
    this.ip.net = 'opening';
    this.netTimer = this.schedule(this.modem.state.timing.netopen, () => {
      this.netTimer = undefined;
      const ok = available();
      this.ip.net = ok ? 'open' : 'closed';
      this.modem.urc(formatNetOpen(ok ? Err.Ok : Err.NetworkFailure));
    });
  }

  /** NETCLOSE after its links were closed: after the latency, `+NETCLOSE: 0`. */
  finishNetClose(): void {
    this.closeServers();
    this.ip.net = 'closing';
    this.netTimer = this.schedule(this.modem.state.timing.netclose, () => {
      this.netTimer = undefined;
      this.ip.net = 'closed';
      this.modem.urc(formatNetClose(Err.Ok));
    });
  }

  /**
   * The PDP context dropped (out of coverage, operator detach…): every link and server dies
   * without `+IPCLOSE`, NETOPEN? reads 0, and `+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY` is printed
   * (spec §2.2.1, §4). Buffered data stays readable. Links still opening get `+CIPOPEN: <n>,1`;
   * a NETOPEN in progress ends with `+NETOPEN: 1` instead.
   */
  loseNetwork(): void {
    const ip = this.ip;
    if (ip.net === 'closed') return;
    if (ip.net === 'opening') {
      this.netTimer?.cancel();
      this.netTimer = undefined;
      ip.net = 'closed';
      this.modem.urc(formatNetOpen(Err.NetworkFailure));
      return;
    }
    const wasClosing = ip.net === 'closing';
    for (const link of this.links) {
      if (link === undefined) continue;
      if (link.state === 'opening') link.abortOpen?.();
      else this.end(link, 'network', 'abort');
    }
    this.closeServers();
    if (wasClosing) return; // NETCLOSE is finishing anyway
    ip.net = 'closed';
    this.modem.urc(formatNetworkLost(this.modem.dialect.cipEventPrefix));
  }

  closeServers(): void {
    this.servers.forEach((server, i) => {
      if (server === undefined) return;
      server.listener.close();
      this.servers[i] = undefined;
    });
  }

  // ---------------------------------------------------------------- opening

  /**
   * Open a TCP client link in slot `index` (free; checked by the caller). The slot is taken at
   * once; the promise gives the `<err>` of `+CIPOPEN: <n>,<err>` (0 connected, 1 refused/failed,
   * 6 local port in use, 10 timeout, 11 DNS), or undefined after a reboot (print nothing).
   */
  openTcp(index: number, request: TcpOpenRequest): Promise<number | undefined> {
    const link = new Link(index, 'TCP');
    this.take(link, request.receiver, false);
    return openOnSlot(this, this.modem.life, link, this.ip.timeouts.cipopen, async (signal, aborted) => {
      const network = this.requireNetwork();
      const address = await Promise.race([network.resolve(request.host), aborted]);
      link.remote = { address, port: request.port };
      const [keepAlive, idleMinutes] = this.ip.keepalive;
      const connection = await network.connectTcp({
        host: address,
        port: request.port,
        ...(request.localPort ? { localPort: request.localPort } : {}),
        ...(keepAlive === 1 ? { keepAliveMs: idleMinutes * 60_000 } : {}),
        signal,
      });
      return {
        discard: () => connection.abort(),
        attach: () => {
          link.tcp = connection;
          link.localPort = connection.local.port;
          this.attachTcp(link, connection);
        },
      };
    });
  }

  /**
   * Open a UDP (or UDPSERVER) link bound to `localPort`, with an optional fixed peer. The host
   * sees the result synchronously (`+CIPOPEN: <n>,<err>` before OK/ERROR).
   */
  openUdp(
    index: number,
    type: 'UDP' | 'UDPSERVER',
    localPort: number,
    peer?: { host: string; port: number },
    receiver?: LinkReceiver,
  ): Promise<number | undefined> {
    const link = new Link(index, type);
    // A network loss or a reboot while the peer's name resolves cancels the open, as for TCP.
    this.take(link, receiver, this.ip.ccfg.udpRecvMode === 1);
    return openOnSlot(this, this.modem.life, link, undefined, async (_signal, aborted) => {
      const network = this.requireNetwork();
      if (peer !== undefined) link.remote = { address: await Promise.race([this.resolveName(peer.host), aborted]), port: peer.port };
      const socket = await network.bindUdp({ port: localPort });
      return {
        discard: () => socket.close(),
        attach: () => {
          link.udp = socket;
          link.localPort = socket.local.port;
          socket.attach({ message: (data, from) => this.received(link, data, from) });
        },
      };
    });
  }

  private requireNetwork(): Network {
    const network = this.network;
    if (network === undefined) throw new NetworkError('unreachable', 'no network backend');
    return network;
  }

  /**
   * A connection accepted by server `serverIndex` takes the lowest free link (from `options.lowest`
   * up: in transparent mode link 0 is kept for the transparent connection). Returns the link, or
   * undefined (connection refused with RST) when none is free.
   */
  adopt(connection: TcpConnection, serverIndex: number, options: { receiver?: LinkReceiver; lowest?: number } = {}): Link | undefined {
    const lowest = options.lowest ?? 0;
    const index = this.links.findIndex((l, i) => i >= lowest && l === undefined);
    if (index < 0) {
      connection.abort();
      return undefined;
    }
    const link = new Link(index, 'TCP', serverIndex);
    this.take(link, options.receiver, false);
    link.remote = connection.remote;
    link.localPort = connection.local.port;
    link.tcp = connection;
    link.state = 'open';
    this.attachTcp(link, connection);
    return link;
  }

  /** Put `link` in its slot, transparent from birth with a `receiver`. */
  private take(link: Link, receiver: LinkReceiver | undefined, datagrams: boolean): void {
    makeTransparent(link, receiver);
    this.links[link.index] = link;
    // Reusing the slot discards what the previous link left unread (spec §3.3).
    // Fresh buffers are empty and not datagram-bounded: nothing to reset until they exist.
    if (this.rxBuffers !== undefined || datagrams) this.rx[link.index]?.clear(datagrams);
  }

  private attachTcp(link: Link, connection: TcpConnection): void {
    if (this.modem.outputPressure && this.deliversToHost(link)) link.holdReading('host', true);
    connection.attach({
      data: (chunk) => this.received(link, chunk, link.remote ?? connection.remote),
      // FIN and RST alike are "closed by remote (passive)", +IPCLOSE reason 1 (spec §4).
      closed: () => this.dropped(link, 'remote'),
    });
  }

  // ---------------------------------------------------------------- sending

  /**
   * Send `data` on an open link; `report(cnf)` prints the `+CIPSEND:`-style result: at once with
   * CIPSENDMODE=0 (0 when the send buffer is full), or once the bytes left with CIPSENDMODE=1 —
   * the module waits for the peer's TCP ACK there; Node exposes no ACKs, so "handed to the host
   * OS" (the socket write callback) stands in for it. A write that has not left after the
   * CIPTIMEOUT send time closes the link with `+IPCLOSE: <n>,2`. UDP reports after the datagram
   * left. `-1` means the link died first.
   */
  send(link: Link, data: Buffer, destination: Endpoint | undefined, report: (confirmed: number) => void): void {
    const pending: PendingSend = { length: data.length, report };
    if (link.udp !== undefined) {
      const to = destination ?? link.defaultDestination;
      if (to === undefined) {
        report(-1);
        return;
      }
      if (destination !== undefined) link.lastDestination = destination;
      link.pendingSend = pending;
      link.udp.send(data, to).then(
        () => {
          link.counters.sent += data.length;
          link.counters.acked += data.length;
          this.settle(link, pending, data.length);
        },
        () => this.settle(link, pending, -1),
      );
      return;
    }
    const connection = link.tcp;
    if (connection === undefined) {
      report(-1);
      return;
    }
    const waitForAck = this.ip.cipsendmode === 1;
    if (!waitForAck && connection.pendingWriteBytes + data.length > SEND_BUFFER_LIMIT) {
      report(0);
      return;
    }
    link.counters.sent += data.length;
    if (waitForAck) link.pendingSend = pending;
    else report(data.length);
    let left = false;
    const timer = this.schedule(this.ip.timeouts.cipsend, () => {
      if (!left) this.dropped(link, 'send-timeout');
    });
    connection.write(data).then(
      () => {
        left = true;
        timer.cancel();
        link.counters.acked += data.length;
        this.settle(link, pending, data.length);
      },
      () => {
        left = true;
        timer.cancel();
        // The connection failed: its close handler ends the link and reports -1.
      },
    );
  }

  /**
   * Transparent mode: UART bytes to the link's peer (TCP: the stream; UDP: one datagram to the
   * fixed peer). No report, nothing refused; returns false when the bytes were lost (TCP queue over
   * TRANSMIT_QUEUE_LIMIT, or no socket). `settled` (TCP) is called once the bytes left the
   * process or the connection failed: transparent mode re-checks its back-pressure there.
   */
  transmit(link: Link, data: Buffer, settled?: () => void): boolean {
    if (link.udp !== undefined && link.remote !== undefined) {
      link.counters.sent += data.length;
      link.udp.send(data, link.remote).then(
        () => (link.counters.acked += data.length),
        () => {},
      );
      return true;
    }
    const connection = link.tcp;
    if (connection === undefined || connection.pendingWriteBytes + data.length > TRANSMIT_QUEUE_LIMIT) return false;
    link.counters.sent += data.length;
    connection.write(data).then(
      () => {
        link.counters.acked += data.length;
        settled?.();
      },
      // The connection failed: its close handler ends the link.
      () => settled?.(),
    );
    return true;
  }

  private settle(link: Link, pending: PendingSend, confirmed: number): void {
    if (link.pendingSend !== pending) return;
    link.pendingSend = undefined;
    pending.report(confirmed);
  }

  // ---------------------------------------------------------------- closing

  /**
   * The host closes the link (CIPCLOSE, NETCLOSE): TCP gets a graceful FIN after queued bytes.
   * Prints nothing: the caller prints `+CIPCLOSE`. A link still opening is cancelled (its CIPOPEN
   * then reports `+CIPOPEN: <n>,1`).
   */
  closeByHost(link: Link): void {
    if (link.state === 'opening') {
      link.abortOpen?.();
      return;
    }
    this.end(link, 'host', 'graceful');
  }

  /** The link ended without the host asking: `+IPCLOSE: <n>,<reason>` (1 remote, 2 send timeout). */
  private dropped(link: Link, reason: 'remote' | 'send-timeout'): void {
    if (this.links[link.index] !== link) return;
    const receiver = link.receiver;
    this.end(link, reason, reason === 'send-timeout' ? 'abort' : 'graceful');
    if (receiver !== undefined) return;
    const code = reason === 'send-timeout' ? 2 : 1;
    this.afterData(() => this.modem.urc(formatIpClose(link.index, code)));
  }

  /** Free the slot and the sockets; tell a receiver; report an awaited send as failed (-1). */
  private end(link: Link, reason: LinkCloseReason, how: 'graceful' | 'abort'): void {
    if (this.links[link.index] === link) this.links[link.index] = undefined;
    if (link.tcp !== undefined) {
      if (how === 'graceful') link.tcp.close();
      else link.tcp.abort();
    }
    link.udp?.close();
    const pending = link.pendingSend;
    link.pendingSend = undefined;
    if (pending !== undefined && reason !== 'host' && reason !== 'reset') pending.report(-1);
    const receiver = link.receiver;
    link.receiver = undefined;
    receiver?.closed(reason);
  }

  /** The life ended (reboot, power-off): everything closes silently; buffers are dropped (timers died with the life). */
  reset(): void {
    this.netTimer = undefined;
    for (const link of this.links) {
      if (link === undefined) continue;
      if (link.state === 'opening') link.abortOpen?.();
      this.end(link, 'reset', 'abort');
    }
    this.links.fill(undefined);
    this.closeServers();
    for (const rx of this.rxBuffers ?? []) rx.clear(false);
  }

  // ---------------------------------------------------------------- receiving

  private received(link: Link, chunk: Buffer, from: Endpoint): void {
    if (this.links[link.index] !== link || chunk.length === 0) return;
    if (link.udp !== undefined && this.modem.outputPressure && this.deliversToHost(link)) {
      this.udpDroppedForHost++;
      return;
    }
    link.counters.received += chunk.length;
    if (link.receiver !== undefined) link.receiver.data(chunk, from);
    else if (this.ip.rxmode === 0) this.push(link.index, chunk, from);
    else this.buffer(link, chunk, from);
  }

  /** Direct push (spec §3.2): one block per ≤1500 bytes, written whole so nothing splits it. */
  private push(index: number, data: Buffer, from: Endpoint): void {
    for (let at = 0; at < data.length; at += MAX_READ) {
      const block = this.pushBlock(index, data.subarray(at, at + MAX_READ), from);
      this.afterData(() => this.modem.urcRaw(block));
    }
  }

  private pushBlock(index: number, payload: Buffer, from: Endpoint): Buffer {
    const ip = this.ip;
    let head = '';
    if (ip.cipsrip === 1) head += formatRecvFrom(from.address, from.port) + CRLF;
    if (ip.ciphead === 1) {
      head += (ip.ccfg.headerType === 1 ? formatReceive(index, payload.length) : formatIpd(payload.length)) + CRLF;
    }
    const lead = head !== '' && this.modem.state.serial.verbose ? CRLF : '';
    const trailer = this.modem.dialect.pushTrailer ? CRLF : '';
    return Buffer.concat([Buffer.from(lead + head, 'latin1'), payload, Buffer.from(trailer, 'latin1')]);
  }

  /** Output of pushed data and what follows it, delayed by CIPCCFG DelayTm in push mode. */
  private afterData(fn: () => void): void {
    const delay = this.ip.rxmode === 0 ? this.ip.ccfg.delayTm : 0;
    if (delay > 0) this.schedule(delay, fn);
    else fn();
  }

  /** Buffer access (spec §2.2.5, §3.3). */
  private buffer(link: Link, chunk: Buffer, from: Endpoint): void {
    const rx = this.rx[link.index] as RxBuffer;
    if (link.udp !== undefined && rx.length + chunk.length > RX_BUFFER_LIMIT) {
      rx.dropped++;
      return;
    }
    const wasEmpty = rx.length === 0;
    rx.push(chunk, from);
    if (wasEmpty || this.modem.dialect.rxgetNotify === 'every-packet') this.modem.urc(formatRxgetNotice(link.index));
    if (rx.length >= RX_BUFFER_LIMIT) link.holdReading('rx-buffer', true);
  }

  /** AT+CIPRXGET=2/3: take up to `max` buffered bytes of slot `index` (open or not). */
  read(index: number, max: number): { data: Buffer; from: Endpoint } | undefined {
    const rx = this.rx[index];
    if (rx === undefined) return undefined;
    const got = rx.read(max);
    this.resumeIfRoom(index);
    return got;
  }

  private resumeIfRoom(index: number): void {
    const link = this.links[index];
    const rx = this.rx[index] as RxBuffer;
    if (link !== undefined && rx.length < RX_BUFFER_LIMIT) link.holdReading('rx-buffer', false);
  }

  /**
   * AT+CIPRXGET=0/1 (5 = 1 with source addresses). Going back to push mode pushes out what open
   * links still hold, in order, so nothing is silently kept; data of links already closed stays
   * readable with CIPRXGET=2/3.
   */
  setRxMode(mode: 0 | 1, showAddress: boolean): void {
    const ip = this.ip;
    const was = ip.rxmode;
    ip.rxmode = mode;
    ip.rxShowAddress = mode === 1 && showAddress;
    if (was === 1 && mode === 0) {
      this.links.forEach((link, index) => {
        if (link === undefined || link.state !== 'open') return;
        for (const chunk of (this.rx[index] as RxBuffer).drain()) this.push(index, chunk.data, chunk.from);
        this.resumeIfRoom(index);
      });
    }
  }
}

/** The socket service a modem owns (`EmulatedModem.sockets`). */
export function socketService(modem: { readonly sockets: SocketService }): SocketService {
  return modem.sockets;
}

/** Drop the modem's PDP context as the network would (`EmulatedModem.loseNetwork`). */
export function loseNetwork(modem: { loseNetwork(): void }): void {
  modem.loseNetwork();
}
