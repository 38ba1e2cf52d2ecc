import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  CCH_SESSION_COUNT,
  CCH_STOPPED_URC,
  CCHRECV_FRAME_MAX,
  CchErr,
  formatCchDataHeader,
  formatCchPeerClosed,
  formatCchRecvEvent,
  formatCchResult,
} from '../../at/ssl.js';
import { framedLine } from '../../at/frames/framing.js';
import type { Timer } from '../clock.js';
import { lifeTimeout } from '../life.js';
import type { ModuleCore } from '../module-port.js';
import { asNetworkError, type TcpConnection } from '../network/types.js';
import { CertStore } from './cert-store.js';
import { connectionStream } from './connection-stream.js';
import { defaultContexts, type SslContext } from './contexts.js';
import { SslSession, type ClientType } from './session.js';
import { planTls, verifyServer } from './tls-options.js';
import { errorDetail } from '../../common/errors.js';

/**
 * The module's SSL service (docs/ssl-spec.md): AT+CCHSTART/STOP, the two CCH sessions, their
 * receive modes and URCs, and the SSL contexts they use; the certificate store beside it.
 *
 * Ownership: the modem owns one service for its whole existence. A reboot (`reset()`, called by the
 * modem when a life ends; what was scheduled in that life checks its signal) drops the
 * sessions, the CCHSET/CCHMODE settings and the contexts, and stops the service; the certificate
 * files stay (they are in the module's flash).
 *
 * Output: every line goes out through `modem.urc`/`urcRaw`, which hold it while a command runs,
 * so a `+CCHOPEN:` or pushed data never splits a response.
 */
export interface SslSettings {
  /** AT+CCHSET <report_send_result>: 1 prints `+CCHSEND: <sid>,0` after each send. */
  reportSend: 0 | 1;
  /** AT+CCHSET <recv_mode>: 0 pushes `+CCHRECV: DATA,…`, 1 caches and prints `+CCHEVENT: <sid>,RECV EVENT`. */
  recvMode: 0 | 1;
  /** AT+CCHMODE: 0 command mode, 1 transparent. */
  transparent: 0 | 1;
  /** AT+CCHCFG "sendtimeout" per session, seconds. */
  sendTimeout: number[];
}

export interface OpenRequest {
  readonly session: number;
  readonly host: string;
  readonly port: number;
  readonly clientType: ClientType;
  readonly localPort: number;
}

/** A session slot while its open is under way. */
interface Opening {
  readonly request: OpenRequest;
  readonly abort: () => void;
}

type Slot = SslSession | Opening | undefined;

/** A name that does not resolve in this time fails the open with 13 (the manual gives no figure) [INF]. */
const DNS_TIMEOUT_MS = 30_000;

export class SslService {
  /** Certificate files: survive reboots. */
  readonly certs = new CertStore();
  contexts: SslContext[] = defaultContexts();
  settings: SslSettings = defaultSettings();
  /** Session → SSL context chosen by AT+CCHSSLCFG (undefined: context number = session id). */
  readonly contextOf: (number | undefined)[] = new Array<number | undefined>(CCH_SESSION_COUNT).fill(undefined);
  service: 'stopped' | 'starting' | 'started' = 'stopped';
  /** Per session: an open under way, a connected session, or one the server closed whose cache is still to read. */
  private readonly slots: Slot[] = new Array<Slot>(CCH_SESSION_COUNT).fill(undefined);
  /** Control plane: every handshake fails (`ssl-handshake-fail on`). */
  failHandshakes = false;
  private startTimer: Timer | undefined;

  constructor(private readonly modem: ModuleCore) {}

  // ---------------------------------------------------------------- the service

  /** AT+CCHSTART accepted: after the PDP latency, `+CCHSTART: 0` (or 17 "no net" when `available()` says no). */
  start(available: () => boolean): void {
    this.service = 'starting';
    this.startTimer = lifeTimeout(this.modem.clock, this.modem.life, this.modem.config.latency.netopen, () => {
      this.startTimer = undefined;
      const ok = available();
      this.service = ok ? 'started' : 'stopped';
      this.modem.urc(`+CCHSTART: ${ok ? CchErr.Ok : CchErr.NoNet}`);
    });
  }

  /** AT+CCHSTOP: every session ends (without URCs), the service stops. */
  stop(): void {
    this.dropSessions();
    this.service = 'stopped';
    this.contextOf.fill(undefined);
  }

  /** The PDP context dropped: sessions die, the service stops, `+CCH: CCHSTOP`. */
  loseNetwork(): void {
    if (this.service === 'stopped') return;
    this.startTimer?.cancel();
    this.startTimer = undefined;
    this.stop();
    this.modem.urc(CCH_STOPPED_URC);
  }

  private dropSessions(): void {
    this.slots.forEach((slot, i) => {
      slot?.abort();
      this.slots[i] = undefined;
    });
  }

  /** The module's life ended (reboot, power-off). */
  reset(): void {
    this.startTimer?.cancel();
    this.startTimer = undefined;
    this.dropSessions();
    this.service = 'stopped';
    this.contexts = defaultContexts();
    this.settings = defaultSettings();
    this.contextOf.fill(undefined);
    this.failHandshakes = false;
  }

  // ---------------------------------------------------------------- sessions

  /** The session in slot `index` if it is connected. */
  openSession(index: number): SslSession | undefined {
    const slot = this.slots[index];
    return slot instanceof SslSession && slot.state === 'open' ? slot : undefined;
  }

  /** The session in slot `index`, open or closed by the peer with data left to read. */
  session(index: number): SslSession | undefined {
    const slot = this.slots[index];
    return slot instanceof SslSession ? slot : undefined;
  }

  /** What AT+CCHOPEN? shows: the open request of a connected or connecting slot. */
  describe(index: number): OpenRequest | undefined {
    const slot = this.slots[index];
    if (slot instanceof SslSession) {
      return slot.state === 'open'
        ? { session: index, host: slot.host, port: slot.port, clientType: slot.clientType, localPort: slot.localPort }
        : undefined;
    }
    return slot?.request;
  }

  /** Whether slot `index` is taken by a connected session or an open in progress. */
  busy(index: number): boolean {
    const slot = this.slots[index];
    return slot !== undefined && !(slot instanceof SslSession && slot.state === 'closed');
  }

  /** The SSL context session `index` uses. */
  contextFor(index: number): SslContext {
    return this.contexts[this.contextOf[index] ?? index] as SslContext;
  }

  /**
   * Open a session (slot free, service started: checked by the caller). Prints
   * `+CCHOPEN: <sid>,<err>` when done; nothing after a reboot.
   */
  open(request: OpenRequest): void {
    const life = this.modem.life;
    const index = request.session;
    const context = { ...this.contextFor(index) };
    const abort = new AbortController();
    let tls: TLSSocket | undefined;
    let connection: TcpConnection | undefined;
    const opening: Opening = {
      request,
      abort: () => {
        abort.abort();
        tls?.destroy();
        connection?.abort();
      },
    };
    this.slots[index] = opening;
    const current = () => !life.aborted && this.slots[index] === opening && !abort.signal.aborted;
    const finish = (err: number, session?: SslSession) => {
      if (life.aborted) return;
      // A CCHSSLCFG binding lasts for one open (manual §19.2.10), whatever its outcome.
      this.contextOf[index] = undefined;
      if (this.slots[index] === opening) this.slots[index] = session;
      this.modem.urc(formatCchResult('CCHOPEN', index, err));
      if (session !== undefined) this.attach(session);
    };
    void (async () => {
      const network = this.modem.network;
      if (network === undefined) return finish(CchErr.Network);
      const plan = request.clientType === 2 ? planTls(context, this.certs, request.host) : undefined;
      if (plan !== undefined && !plan.ok) return finish(plan.err);
      let address: string;
      try {
        address = await this.within(network.resolve(request.host), DNS_TIMEOUT_MS);
      } catch {
        return current() ? finish(CchErr.GetDns) : undefined;
      }
      if (!current()) return;
      try {
        connection = await network.connectTcp({
          host: address,
          port: request.port,
          ...(request.localPort ? { localPort: request.localPort } : {}),
          signal: abort.signal,
        });
      } catch (err) {
        if (!current()) return;
        const code = asNetworkError(err).code;
        return finish(code === 'timeout' ? CchErr.Timeout : code === 'unreachable' ? CchErr.Network : CchErr.ConnectSocket);
      }
      if (!current()) {
        connection.abort();
        return;
      }
      const raw = connectionStream(connection);
      // A reset destroys the raw stream with an error; the TLS socket on top reports the end.
      raw.on('error', () => {});
      if (plan === undefined) {
        return finish(CchErr.Ok, new SslSession(index, request.host, request.port, 1, request.localPort, raw, connection));
      }
      const err = await this.handshake(raw, plan.options, context, request.host, (socket) => (tls = socket));
      if (!current()) return;
      if (err !== CchErr.Ok || tls === undefined) {
        tls?.destroy();
        connection.abort();
        return finish(err === CchErr.Ok ? CchErr.Handshake : err);
      }
      finish(CchErr.Ok, new SslSession(index, request.host, request.port, 2, request.localPort, tls, connection));
    })().catch((err: unknown) => {
      this.modem.log(`CCHOPEN ${index}: ${errorDetail(err)}`);
      if (current()) finish(CchErr.Unknown);
    });
  }

  /** The TLS handshake over `raw` within the context's negotiate time; resolves with `<err>`. */
  private handshake(
    raw: Duplex,
    options: ConnectionOptions,
    context: SslContext,
    host: string,
    started: (socket: TLSSocket) => void,
  ): Promise<number> {
    return new Promise<number>((resolve) => {
      const socket = tlsConnect({ ...options, socket: raw });
      started(socket);
      let settled = false;
      const settle = (err: number) => {
        if (settled) return;
        settled = true;
        timer.cancel();
        // Until the session attaches its own, an error must not go unhandled.
        socket.on('error', () => {});
        socket.off('error', onError);
        resolve(err);
      };
      const onError = () => settle(CchErr.Handshake);
      const timer = this.modem.clock.setTimeout(() => settle(CchErr.Timeout), context.negotiatetime * 1000);
      socket.on('error', onError);
      socket.once('close', () => settle(CchErr.Handshake));
      socket.once('secureConnect', () => {
        if (this.failHandshakes) return settle(CchErr.Handshake);
        settle(verifyServer(socket, context, this.certs, host, this.moduleTimeMs()));
      });
    });
  }

  /** The module's clock as UTC ms (AT+CCLK once set; the host's time until then). */
  private moduleTimeMs(): number {
    const rtc = this.modem.state.radio.rtc;
    if (rtc === undefined) return Date.now();
    return rtc.localMs + (this.modem.clock.now() - rtc.clockAt) - rtc.tzQuarters * 15 * 60_000;
  }

  private within<T>(promise: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.modem.clock.setTimeout(() => reject(new Error('timeout')), ms);
      promise.then(
        (v) => {
          timer.cancel();
          resolve(v);
        },
        (e: unknown) => {
          timer.cancel();
          reject(e);
        },
      );
    });
  }

  private attach(session: SslSession): void {
    session.attach({
      data: (chunk) => this.received(session, chunk),
      closed: () => {
        if (this.slots[session.index] !== session) return;
        this.modem.urc(formatCchPeerClosed(session.index));
        // Nothing left to read: the slot is free at once.
        if (session.cached === 0) this.slots[session.index] = undefined;
      },
    });
  }

  // ---------------------------------------------------------------- data

  private received(session: SslSession, chunk: Buffer): void {
    if (this.slots[session.index] !== session || chunk.length === 0) return;
    if (this.settings.recvMode === 0) {
      this.push(session.index, chunk);
      return;
    }
    const wasEmpty = session.cached === 0;
    session.cache(chunk);
    if (wasEmpty) this.modem.urc(formatCchRecvEvent(session.index));
  }

  /** Received data as `+CCHRECV: DATA,<sid>,<len>` frames of at most CCHRECV_FRAME_MAX bytes. */
  push(index: number, data: Buffer): void {
    for (const frame of frames(index, data, this.modem.state.serial.verbose)) this.modem.urcRaw(frame);
  }

  /** AT+CCHSEND's data: `report(err)` once it left (0) or could not (`<err>`). */
  send(session: SslSession, data: Buffer, report: (err: number) => void): void {
    session.write(data, (ok) => report(ok ? CchErr.Ok : CchErr.TransferFailed));
  }

  /** AT+CCHCLOSE: graceful close of a connected session; prints nothing. */
  close(index: number): void {
    const slot = this.slots[index];
    if (slot instanceof SslSession) slot.close();
    this.slots[index] = undefined;
  }

  /** A read left a peer-closed session without data: its slot is free. */
  released(index: number): void {
    const slot = this.slots[index];
    if (slot instanceof SslSession && slot.state === 'closed' && slot.cached === 0) this.slots[index] = undefined;
  }
}

/** The frames of `data` for session `index`, framed as URCs are (`<CR><LF>` first in verbose mode). */
export function frames(index: number, data: Buffer, verbose: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += CCHRECV_FRAME_MAX) {
    const payload = data.subarray(at, at + CCHRECV_FRAME_MAX);
    const head = framedLine(formatCchDataHeader(index, payload.length), verbose);
    out.push(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
  }
  return out;
}

function defaultSettings(): SslSettings {
  return { reportSend: 0, recvMode: 0, transparent: 0, sendTimeout: new Array<number>(CCH_SESSION_COUNT).fill(150) };
}
