/**
 * `SslClient`: the host's side of the module's SSL service (docs/ssl-spec.md) — TLS done by the
 * module, clear bytes on the AT port. It owns what both sessions share:
 *
 * - the service: `AT+CCHSET=1,<recv_mode>` (report each send; push received data, or cache it
 *   and announce it with `+CCHEVENT: <sid>,RECV EVENT` for `read`) and `AT+CCHSTART`, once,
 *   before the first session (a module whose service is still running from an earlier host run
 *   answers ERROR: it is stopped and started again);
 * - certificate files: each certificate, key or CA is downloaded once under a name made from its
 *   content (`a76xx-<sha256 prefix>.pem`), so a second session with the same files downloads
 *   nothing;
 * - the session table (0–1) and the routing of `+CCHRECV: DATA,<sid>,…` frames,
 *   `+CCHEVENT: <sid>,RECV EVENT`, `+CCH_PEER_CLOSED: <sid>` and `+CCH: CCHSTOP` to the socket
 *   on each session;
 * - manual reads: `AT+CCHRECV?` first, then `AT+CCHRECV=<sid>,<n>` for no more than is cached
 *   (a real module is said to hang when asked for more: docs/ssl-spec.md §10 Q5);
 * - one command at a time per session for sends (`AT+CCHSEND` ≤ 2048 bytes, paced by
 *   `+CCHSEND: <sid>,<err>`).
 *
 * Each session uses the SSL context of its own number (0 or 1), written before each open.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  CCH_ERR_TEXT,
  CCH_SESSION_COUNT,
  CCHRECV_MAX,
  CCHSEND_MAX,
  CchErr,
  parseCchPeerClosed,
  parseCchRecvEvent,
  parseCchRecvLen,
  parseCchResult,
} from '../at/ssl.js';
import { A76xxError, AtCommandError, DriverStateError, ModuleResetError, NetworkLostError } from './errors.js';
import type { Modem } from './modem.js';
import { Mutex } from './mutex.js';

/** What the module verifies and presents (AT+CSSLCFG of the session's context). */
export interface ModuleTlsOptions {
  /** The CA (PEM or DER) the server's chain must end at; the host name is checked too (authmode 1). */
  readonly ca?: string | Buffer;
  /** The client certificate and its key (PEM or DER), presented when the server asks (authmode 2, or 3 without `ca`). */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Send the host name in the ClientHello (SNI); default true for a host name, never for an address. */
  readonly sni?: boolean;
  /** AT+CSSLCFG "sslversion": 1 TLS 1.0, 2 TLS 1.1, 3 TLS 1.2, 4 any (default). */
  readonly sslVersion?: 1 | 2 | 3 | 4;
  /** Check certificate validity periods against the module's clock ("ignorelocaltime" 0). Default false (the module's default). */
  readonly checkTime?: boolean;
  /** Longest handshake, seconds (10–300; module default 300). */
  readonly negotiateSeconds?: number;
}

/** The SSL service reported `<err>` (docs/ssl-spec.md §4: 15 handshake, 14 connect, 13 DNS, 19 certificates not set, …). */
export class SslSessionError extends A76xxError {
  override readonly code = 'A76XX_SSL';
  override name = 'SslSessionError';
  /** Node's code for the same situation, where there is one (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ECONNRESET, EPROTO). */
  readonly nodeCode: string | undefined;
  constructor(
    readonly command: string,
    readonly session: number,
    readonly err: number,
  ) {
    super(`${command}: session ${session}: ${CCH_ERR_TEXT[err] ?? 'error'} (${err})`);
    this.nodeCode = NODE_CODES[err];
  }
}

const NODE_CODES: Readonly<Record<number, string>> = {
  [CchErr.PeerClosed]: 'ECONNRESET',
  [CchErr.Timeout]: 'ETIMEDOUT',
  [CchErr.GetDns]: 'ENOTFOUND',
  [CchErr.ConnectSocket]: 'ECONNREFUSED',
  [CchErr.Handshake]: 'EPROTO',
};

/** What the socket on a session hears from the service. */
export interface SslSessionUser {
  data(bytes: Buffer): void;
  /** Manual receive: data waits in the module (`+CCHEVENT: <sid>,RECV EVENT`). */
  dataWaiting(): void;
  /** The server closed the session (`+CCH_PEER_CLOSED`). */
  peerClosed(): void;
  /** The session died with the service (network lost, module reset, transport gone). */
  failed(error: Error): void;
}

const START_MS = 120_000;
/** TCP connect plus a handshake of up to the negotiate time (300 s at most). */
const OPEN_MS = 360_000;
const SEND_MS = 30_000;
const CLOSE_MS = 30_000;

export class SslClient {
  private readonly users: (SslSessionUser | undefined)[] = new Array<SslSessionUser | undefined>(CCH_SESSION_COUNT).fill(undefined);
  private readonly sendLocks = Array.from({ length: CCH_SESSION_COUNT }, () => new Mutex());
  private readonly setupLock = new Mutex();
  private started: Promise<void> | undefined;
  private readonly stored = new Set<string>();
  private listed = false;

  /**
   * `manual`: the module caches what it receives (AT+CCHSET=…,1) and the sockets read it when
   * they want more (back-pressure to the server); `push`: it prints everything as it comes.
   */
  constructor(
    readonly modem: Modem,
    readonly receive: 'push' | 'manual' = 'push',
  ) {
    const channel = modem.channel;
    channel.on('cch-data', (session, bytes) => this.users[session]?.data(bytes));
    channel.onUrc('+CCHEVENT:', (line) => {
      const session = parseCchRecvEvent(line);
      if (session !== undefined) this.users[session]?.dataWaiting();
    });
    channel.onUrc('+CCH_PEER_CLOSED:', (line) => {
      const session = parseCchPeerClosed(line);
      if (session !== undefined) this.users[session]?.peerClosed();
    });
    channel.onUrc('+CCH: ', (line) => this.failAll(new NetworkLostError(line)));
    modem.on('reset', (line) => {
      this.listed = false;
      this.stored.clear();
      this.failAll(new ModuleResetError(line));
    });
    modem.on('close', (error) => this.failAll(error));
  }

  /** Take a free session for `user`; throws when both are in use. */
  reserve(user: SslSessionUser): number {
    const session = this.users.findIndex((u) => u === undefined);
    if (session < 0) throw new DriverStateError(`the module has ${CCH_SESSION_COUNT} SSL sessions, and all are in use`);
    this.users[session] = user;
    return session;
  }

  release(session: number, user: SslSessionUser): void {
    if (this.users[session] === user) this.users[session] = undefined;
  }

  /** Configure the session's context and open it; resolves once `+CCHOPEN: <sid>,0`. */
  async open(session: number, host: string, port: number, tls: ModuleTlsOptions | false): Promise<void> {
    await this.setupLock.run(async () => {
      await this.start();
      if (tls !== false) await this.configure(session, host, tls);
    });
    const command = `AT+CCHOPEN=${session},${quote(host)},${port},${tls === false ? 1 : 2}`;
    const response = await this.modem.command(command, {
      completion: { match: (l) => parseCchResult(l, 'CCHOPEN')?.session === session, what: `+CCHOPEN: ${session},<err>`, timeoutMs: OPEN_MS },
    });
    const err = parseCchResult(response.completion ?? '', 'CCHOPEN')?.err ?? CchErr.Unknown;
    if (err !== CchErr.Ok) throw new SslSessionError(command, session, err);
  }

  /** Send `data` in AT+CCHSEND chunks; resolves once the module took all of it. */
  send(session: number, data: Buffer): Promise<void> {
    return (this.sendLocks[session] as Mutex).run(async () => {
      for (let at = 0; at < data.length; at += CCHSEND_MAX) {
        const chunk = data.subarray(at, at + CCHSEND_MAX);
        const command = `AT+CCHSEND=${session},${chunk.length}`;
        const response = await this.modem.command(command, {
          data: chunk,
          completion: { match: (l) => parseCchResult(l, 'CCHSEND')?.session === session, what: `+CCHSEND: ${session},<err>`, timeoutMs: SEND_MS },
        });
        const err = parseCchResult(response.completion ?? '', 'CCHSEND')?.err ?? CchErr.Unknown;
        if (err !== CchErr.Ok) throw new SslSessionError(command, session, err);
      }
    });
  }

  /**
   * Manual receive: read up to `max` cached bytes of the session (delivered through `data`
   * before this resolves); resolves with how many, 0 when nothing is cached.
   */
  read(session: number, max = CCHRECV_MAX): Promise<number> {
    return (this.sendLocks[session] as Mutex).run(async () => {
      const cached = parseCchRecvLen((await this.modem.command('AT+CCHRECV?')).lines.find((l) => l.startsWith('+CCHRECV:')) ?? '')?.[session] ?? 0;
      const length = Math.min(cached, Math.max(1, Math.min(CCHRECV_MAX, Math.floor(max))));
      if (length === 0) return 0;
      const command = `AT+CCHRECV=${session},${length}`;
      try {
        const response = await this.modem.command(command, {
          completion: { match: (l) => parseCchResult(l, 'CCHRECV')?.session === session, what: `+CCHRECV: ${session},<err>`, timeoutMs: SEND_MS },
        });
        const err = parseCchResult(response.completion ?? '', 'CCHRECV')?.err ?? CchErr.Unknown;
        if (err !== CchErr.Ok) throw new SslSessionError(command, session, err);
      } catch (error) {
        // The cache emptied meanwhile (`+CCHRECV: <sid>,<err>` then ERROR): nothing to read.
        if (error instanceof AtCommandError) return 0;
        throw error;
      }
      return length;
    });
  }

  /** AT+CCHCLOSE after the session's sends; a session the server already closed answers ERROR, which is fine. */
  close(session: number): Promise<void> {
    return (this.sendLocks[session] as Mutex).run(async () => {
      try {
        await this.modem.command(`AT+CCHCLOSE=${session}`, {
          completion: { match: (l) => parseCchResult(l, 'CCHCLOSE')?.session === session, what: `+CCHCLOSE: ${session},<err>`, timeoutMs: CLOSE_MS },
        });
      } catch (error) {
        if (!(error instanceof AtCommandError)) throw error;
      }
    });
  }

  // ---------------------------------------------------------------- the service

  private start(): Promise<void> {
    if (this.started === undefined) {
      const starting = this.startService();
      this.started = starting;
      starting.catch(() => {
        if (this.started === starting) this.started = undefined;
      });
    }
    return this.started;
  }

  private async startService(): Promise<void> {
    try {
      await this.modem.command(this.cchset);
    } catch (error) {
      // Still running from an earlier host run: settings are taken only while it is stopped.
      if (!(error instanceof AtCommandError)) throw error;
      await this.stopService();
      await this.modem.command(this.cchset);
    }
    const response = await this.modem.command('AT+CCHSTART', {
      completion: { match: (l) => /^\+CCHSTART: ?\d+$/.test(l), what: '+CCHSTART: <err>', timeoutMs: START_MS },
    });
    const err = Number(/(\d+)$/.exec(response.completion ?? '')?.[1] ?? CchErr.Unknown);
    if (err !== CchErr.Ok) throw new SslSessionError('AT+CCHSTART', -1, err);
  }

  private get cchset(): string {
    return `AT+CCHSET=1,${this.receive === 'manual' ? 1 : 0}`;
  }

  private async stopService(): Promise<void> {
    try {
      await this.modem.command('AT+CCHSTOP', { completion: { match: (l) => /^\+CCHSTOP: ?\d+$/.test(l), what: '+CCHSTOP: <err>', timeoutMs: START_MS } });
    } catch (error) {
      if (!(error instanceof AtCommandError)) throw error;
    }
  }

  /** The session's SSL context (number = session), then AT+CCHSSLCFG to bind it. */
  private async configure(session: number, host: string, tls: ModuleTlsOptions): Promise<void> {
    const ca = tls.ca === undefined ? '' : await this.store(tls.ca);
    const cert = tls.cert === undefined ? '' : await this.store(tls.cert);
    const key = tls.key === undefined ? '' : await this.store(tls.key);
    if ((cert === '') !== (key === '')) throw new DriverStateError('a client certificate needs its key, and a key its certificate');
    const authmode = ca !== '' ? (cert !== '' ? 2 : 1) : cert !== '' ? 3 : 0;
    const sni = tls.sni ?? isIP(host) === 0;
    const settings: [string, string | number][] = [
      ['sslversion', tls.sslVersion ?? 4],
      ['authmode', authmode],
      ['ignorelocaltime', tls.checkTime === true ? 0 : 1],
      ['negotiatetime', tls.negotiateSeconds ?? 300],
      ['enableSNI', sni ? 1 : 0],
    ];
    for (const [name, value] of settings) await this.modem.command(`AT+CSSLCFG="${name}",${session},${value}`);
    for (const [name, file] of [['cacert', ca], ['clientcert', cert], ['clientkey', key]] as const) {
      if (file !== '') await this.modem.command(`AT+CSSLCFG="${name}",${session},${quote(file)}`);
    }
    await this.modem.command(`AT+CCHSSLCFG=${session},${session}`);
  }

  /** Download a file once (by content); returns its module name. */
  private async store(content: string | Buffer): Promise<string> {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    const pem = bytes.includes('-----BEGIN');
    const name = `a76xx-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${pem ? 'pem' : 'der'}`;
    if (!this.listed) {
      const response = await this.modem.command('AT+CCERTLIST');
      for (const line of response.lines) {
        const m = /^\+CCERTLIST: ?"?([^"]+)"?$/.exec(line);
        if (m !== null) this.stored.add(m[1] as string);
      }
      this.listed = true;
    }
    if (this.stored.has(name)) return name;
    await this.modem.command(`AT+CCERTDOWN=${quote(name)},${bytes.length}`, { data: bytes });
    this.stored.add(name);
    return name;
  }

  private failAll(error: Error): void {
    this.started = undefined;
    for (const user of [...this.users]) user?.failed(error);
  }
}

function quote(text: string): string {
  return `"${text}"`;
}
