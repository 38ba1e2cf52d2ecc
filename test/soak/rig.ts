/**
 * What a soak run stands on, all in this process and on 127.0.0.1: an emulated module wired for
 * control (its network a SimulatedNetwork over the real one, names only from its static host
 * table), the driver (`A76xx.open`) on the other end of an in-memory transport, a control plane
 * for the faults, and loopback peers that hash what they get: a TCP echo server for the main
 * transfers, another for the short-lived "churn" links, a UDP echo server.
 */
import { createHash, type Hash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { A76xx } from '../../src/driver/a76xx.js';
import type { SocketMode } from '../../src/driver/link-user.js';
import { ControlPlane } from '../../src/control/plane.js';
import { controlledModem, DEFAULT_MODEM_ID, type ControlTarget } from '../../src/control/target.js';
import type { JsonValue } from '../../src/control/params.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { createMemoryPair } from '../../src/driver/transports/memory.js';

/** Escape guard time of module and driver alike (the module's default is 1 s: shortened, both ends agree). */
export const SOAK_GUARD_MS = 100;
export const ECHO_HOST = 'echo.test';
export const CHURN_HOST = 'churn.test';
export const UDP_HOST = 'udp.test';

/** One TCP connection as the echo server saw it. */
export interface ServerConnection {
  bytes: number;
  readonly hash: Hash;
  closed: boolean;
}

export interface EchoServer {
  readonly port: number;
  readonly connections: ServerConnection[];
  /** Over everything received, in arrival order (one connection after the other: their concatenation). */
  readonly hash: Hash;
  close(): Promise<void>;
}

/** A TCP echo server that hashes everything it receives, per connection and in all. */
export async function startEchoServer(): Promise<EchoServer> {
  const connections: ServerConnection[] = [];
  const all = createHash('sha256');
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    const record: ServerConnection = { bytes: 0, hash: createHash('sha256'), closed: false };
    connections.push(record);
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
      record.hash.update(chunk);
      all.update(chunk);
      if (!socket.write(chunk)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      record.closed = true;
      sockets.delete(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    hash: all,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface UdpEchoServer {
  readonly port: number;
  datagrams: number;
  bytes: number;
  /** Over every datagram in arrival order. */
  hash: Hash;
  reset(): void;
  close(): Promise<void>;
}

/** A UDP echo server on 127.0.0.1 that hashes the datagrams it gets, in arrival order. */
export async function startUdpEchoServer(): Promise<UdpEchoServer> {
  const socket = createSocket('udp4');
  const state: UdpEchoServer = {
    port: 0,
    datagrams: 0,
    bytes: 0,
    hash: createHash('sha256'),
    reset() {
      state.datagrams = 0;
      state.bytes = 0;
      state.hash = createHash('sha256');
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, from) => {
    state.datagrams++;
    state.bytes += msg.length;
    state.hash.update(msg);
    socket.send(msg, from.port, from.address);
  });
  socket.on('error', () => {});
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  (state as { port: number }).port = socket.address().port;
  return state;
}

export interface SoakRig {
  readonly a76xx: A76xx;
  readonly target: ControlTarget;
  /** Run a control verb on the modem (as `a76xx ctl` would). */
  readonly control: (verb: string, args?: Record<string, JsonValue>) => Promise<JsonValue>;
  close(): Promise<void>;
}

export async function startRig(mode: SocketMode): Promise<SoakRig> {
  const hosts = new Map([
    [ECHO_HOST, '127.0.0.1'],
    [CHURN_HOST, '127.0.0.1'],
    [UDP_HOST, '127.0.0.1'],
  ]);
  const target = controlledModem({
    config: { bootUrcs: false, escapeGuardMs: SOAK_GUARD_MS, hosts },
    network: new RealNetwork({ hosts, staticOnly: true }),
  });
  const plane = new ControlPlane();
  plane.add(target);
  const { host, module } = createMemoryPair();
  module.on('data', (chunk: Buffer) => target.line.input(chunk));
  module.on('error', () => {});
  const toHost = (bytes: Buffer): void => {
    if (!module.destroyed) module.write(bytes);
  };
  target.line.on('output', toHost);
  const a76xx = await A76xx.open(host, {
    mode,
    guardMs: SOAK_GUARD_MS,
    escapeAnswerMs: 1_000,
    syncTimeoutMs: 1_000,
    pollIntervalMs: 20,
    timeouts: { '+CIPOPEN': 10_000, '+CIPSEND': 10_000, '+NETOPEN': 10_000, '+NETCLOSE': 10_000, '+CIPCLOSE': 10_000, '+CDNSGIP': 10_000 },
  });
  return {
    a76xx,
    target,
    control: async (verb, args = {}) => {
      const result = await plane.invoke(DEFAULT_MODEM_ID, verb, args);
      return 'result' in result ? result.result : null;
    },
    close: async () => {
      await a76xx.close().catch(() => {});
      target.line.off('output', toHost);
      module.destroy();
      target.modem.reboot(); // whatever is still open goes with a power cycle
    },
  };
}
