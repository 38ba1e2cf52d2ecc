import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { unescapeBytes, escapeBytes } from '../../src/at/escape.js';
import { dialectNamed, type Dialect } from '../../src/emulator/dialect.js';
import { loseNetwork } from '../../src/emulator/links.js';
import { EmulatedModem } from '../../src/emulator/modem.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { freePort, peerActions, PEER_WAIT_MS, TcpPeer, UdpPeer } from '../support/peers.js';
import type { Action } from '../support/transcript-runner.js';

/**
 * A modem on the real network with loopback peers of its own, for the data-mode and server
 * transcripts (in process, and end to end over the transports). Everything is on 127.0.0.1.
 *
 * Variables:
 *   ${TCP_PORT} ${UDP_PORT}       the TCP server peer and the UDP peer (test/support/peers.ts)
 *   ${LOCAL_UDP_PORT}             a free port for the module's UDP links
 *   ${CLOSED_PORT}                a port nobody listens on
 *   ${SERVER_PORT} … ${SERVER_PORT_3}   free ports for AT+SERVERSTART (module-side numbers)
 *   ${SERVER_HOST_PORT} ${LOCAL_UDP_HOST_PORT}   where SERVER_PORT / LOCAL_UDP_PORT really are (+ offset)
 *   ${CLIENT_A_PORT} … ${CLIENT_D_PORT} free local ports the test's clients connect from
 *   ${GUARD}  the escape guard (ms);  ${WAIT}  a silence safely longer than it
 * Actions: the peer actions of test/support/peers.ts, and
 *   ! client-connect NAME LOCALPORT PORT   a client connects from LOCALPORT to the module's PORT
 *   ! client-send NAME TEXT / ! client-expect NAME TEXT / ! client-close NAME / ! client-reset NAME
 *   ! client-closed NAME                   wait until the module closed the client's connection
 *   ! client-refused PORT                  a connect to the module's PORT is refused
 *   ! client-rejected LOCALPORT PORT       a connect is accepted by the host OS, then reset by the module
 *   ! lose-network / ! reboot / ! dtr on|off
 *
 * A transcript's first line `#! key=value …` sets `dialect=<name>`, `port-offset=<n>` (the
 * network's port offset) or any dialect field (`transparentCloseIpclose=true`).
 */

/** The escape guard real-time transcripts run with: short, but far above scheduling noise. */
export const GUARD_MS = 100;

export interface RigSettings {
  readonly dialect?: Dialect;
  readonly portOffset?: number;
}

/** The far ends: peers, clients, and the variables and actions a transcript uses them by. */
export interface Peers {
  readonly tcp: TcpPeer;
  readonly udp: UdpPeer;
  readonly vars: Record<string, number>;
  readonly actions: Record<string, Action>;
  close(): void;
}

export interface Rig extends Peers {
  readonly modem: EmulatedModem;
}

/** A modem (in process, on the real network) with its peers. */
export async function startRig(settings: RigSettings = {}): Promise<Rig> {
  const peers = await startPeers(settings);
  const network = new RealNetwork({
    hosts: new Map([['server.test', '127.0.0.1']]),
    staticOnly: true,
    portOffset: settings.portOffset ?? 0,
  });
  const modem = new EmulatedModem({
    config: { bootUrcs: false, escapeGuardMs: GUARD_MS, ...(settings.dialect !== undefined ? { dialect: settings.dialect } : {}) },
    network,
  });
  return {
    ...peers,
    modem,
    actions: {
      ...peers.actions,
      'lose-network': () => loseNetwork(modem),
      reboot: () => modem.reboot(),
      dtr: ([level]) => modem.setDtr(level === 'on'),
    },
    close() {
      modem.reboot(); // closes whatever the transcript left open, listeners included
      peers.close();
    },
  };
}

/** Peers for a modem that runs elsewhere (another process: the CLI) or in process. */
export async function startPeers(settings: RigSettings = {}): Promise<Peers> {
  const portOffset = settings.portOffset ?? 0;
  const tcp = await TcpPeer.start();
  const udp = await UdpPeer.start();
  // Module-side ports: a free host port minus the offset.
  const localUdpHostPort = await freePort('udp');
  const serverHostPort = await freePort('tcp');
  const serverPort = async () => (await freePort('tcp')) - portOffset;
  const vars = {
    TCP_PORT: tcp.port,
    UDP_PORT: udp.port,
    LOCAL_UDP_PORT: localUdpHostPort - portOffset,
    LOCAL_UDP_HOST_PORT: localUdpHostPort,
    CLOSED_PORT: await freePort('tcp'),
    SERVER_PORT: serverHostPort - portOffset,
    SERVER_HOST_PORT: serverHostPort,
    SERVER_PORT_1: await serverPort(),
    SERVER_PORT_2: await serverPort(),
    SERVER_PORT_3: await serverPort(),
    CLIENT_A_PORT: await freePort('tcp-client'),
    CLIENT_B_PORT: await freePort('tcp-client'),
    CLIENT_C_PORT: await freePort('tcp-client'),
    CLIENT_D_PORT: await freePort('tcp-client'),
    GUARD: GUARD_MS,
    WAIT: GUARD_MS + 60,
  };
  const clients = new Clients(portOffset);
  return {
    tcp,
    udp,
    vars,
    actions: { ...peerActions({ tcp, udp }), ...clients.actions() },
    close() {
      clients.close();
      tcp.close();
      udp.close();
    },
  };
}

/** `#! key=value …` on a transcript's first line. */
export function rigSettingsOf(path: string): RigSettings {
  const first = readFileSync(path, 'utf8').split('\n')[0] ?? '';
  if (!first.startsWith('#!')) return {};
  const options = Object.fromEntries(
    first
      .slice(2)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const base = dialectNamed(options['dialect'] ?? 'a76xx');
  const overrides: Record<string, unknown> = {};
  let portOffset: number | undefined;
  for (const [key, value] of Object.entries(options)) {
    if (key === 'dialect') continue;
    if (key === 'port-offset') {
      portOffset = Number(value);
      continue;
    }
    if (!(key in base)) throw new Error(`${path}: unknown setting ${key}`);
    overrides[key] = value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value;
  }
  return { dialect: { ...base, ...overrides } as Dialect, ...(portOffset !== undefined ? { portOffset } : {}) };
}

/** Bounded wait for a condition re-checked on every event of a client. */
function until(check: () => boolean, what: () => string, subscribe: (wake: () => void) => () => void, ms = PEER_WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`client: timed out after ${ms} ms waiting for ${what()}`));
    }, ms);
    const stop = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** One client of the module's TCP servers, seen from the client's side. */
export class Client {
  unread: Buffer = Buffer.alloc(0);
  closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      this.notify();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  /**
   * Connect, from `localPort` when given. That port was probed free (freePort 'tcp-client'), but
   * another test running beside this one may listen on it for a moment (its own freePort probe),
   * and a bind then fails with EADDRINUSE: retried, 20 times at most, 50 ms apart.
   */
  static async connect(port: number, localPort?: number): Promise<Client> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Client.connectOnce(port, localPort);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || localPort === undefined || attempt === 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private static connectOnce(port: number, localPort: number | undefined): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...(localPort !== undefined ? { localPort, localAddress: '127.0.0.1' } : {}) });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new Client(socket));
      });
      socket.once('error', reject);
    });
  }

  private notify(): void {
    for (const wake of [...this.listeners]) wake();
  }

  private subscribe = (wake: () => void): (() => void) => {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  };

  async expect(bytes: Buffer): Promise<void> {
    await until(
      () => this.unread.length >= bytes.length || this.closed,
      () => `${JSON.stringify(escapeBytes(bytes))} (have ${JSON.stringify(escapeBytes(this.unread))})`,
      this.subscribe,
    );
    const got = this.unread.subarray(0, bytes.length);
    if (!got.equals(bytes)) throw new Error(`client: expected ${JSON.stringify(escapeBytes(bytes))}, received ${JSON.stringify(escapeBytes(this.unread))}`);
    this.unread = this.unread.subarray(bytes.length);
  }

  async take(length: number, ms = PEER_WAIT_MS): Promise<Buffer> {
    await until(() => this.unread.length >= length, () => `${length} bytes (have ${this.unread.length})`, this.subscribe, ms);
    const got = Buffer.from(this.unread.subarray(0, length));
    this.unread = this.unread.subarray(length);
    return got;
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  waitClosed(): Promise<void> {
    return until(() => this.closed, () => 'the module to close the connection', this.subscribe);
  }
}

class Clients {
  private readonly named = new Map<string, Client>();

  constructor(private readonly portOffset: number) {}

  private get(name: string | undefined): Client {
    const client = this.named.get(name ?? '');
    if (client === undefined) throw new Error(`no client named ${String(name)}`);
    return client;
  }

  actions(): Record<string, Action> {
    const text = (words: readonly string[]) => unescapeBytes(words.join(' '));
    return {
      'client-connect': async ([name, localPort, port]) => {
        this.named.set(name ?? '', await Client.connect(Number(port) + this.portOffset, Number(localPort)));
      },
      'client-send': async ([name, ...words]) => this.get(name).send(text(words)),
      'client-expect': async ([name, ...words]) => this.get(name).expect(text(words)),
      'client-close': ([name]) => void this.get(name).socket.end(),
      'client-reset': ([name]) => void this.get(name).socket.resetAndDestroy(),
      'client-closed': async ([name]) => this.get(name).waitClosed(),
      'client-refused': async ([port]) => {
        const refused = await Client.connect(Number(port) + this.portOffset).then(
          (client) => {
            client.socket.destroy();
            return false;
          },
          (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
        );
        if (!refused) throw new Error(`client: a connect to ${port} was not refused`);
      },
      'client-rejected': async ([localPort, port]) => {
        // The reset can beat the connect's completion on loopback: both mean "rejected".
        const client = await Client.connect(Number(port) + this.portOffset, Number(localPort)).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNRESET') return undefined;
          throw err;
        });
        if (client === undefined) return;
        try {
          await client.waitClosed();
        } finally {
          client.socket.destroy();
        }
      },
    };
  }

  close(): void {
    for (const client of this.named.values()) client.socket.destroy();
  }
}
