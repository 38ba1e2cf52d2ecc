/**
 * The driver against the emulator in this process: an emulated module (real loopback sockets,
 * names only from its static host table) on one end of an in-memory pair, `A76xx.open` on the
 * other. Plus the loopback peers the socket tests talk to. Everything listens on 127.0.0.1.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { A76xx, type A76xxOptions } from '../../../src/driver/a76xx.js';
import type { SocketMode } from '../../../src/driver/link-user.js';
import type { ConfigOverrides } from '../../../src/emulator/config.js';
import { EmulatedModem as EmulatedModem } from '../../../src/emulator/modem.js';
import { RealNetwork } from '../../../src/emulator/network/real.js';
import { createMemoryPair } from '../../../src/driver/transports/memory.js';
import { serveTcp } from '../../../src/emulator/serve/tcp.js';

/** The escape guard of in-process transparent tests (emulator and driver agree on it). */
export const TEST_GUARD_MS = 60;

export interface Emulated {
  readonly a76xx: A76xx;
  readonly emulator: EmulatedModem;
  /** Cut the line (the transport goes away, as an unplugged cable). */
  readonly cut: () => void;
  readonly close: () => Promise<void>;
}

export interface EmulatedOptions {
  readonly mode: SocketMode;
  readonly hosts?: Readonly<Record<string, string>>;
  readonly config?: ConfigOverrides;
  readonly driver?: A76xxOptions;
}

export async function startEmulated(options: EmulatedOptions): Promise<Emulated> {
  const hosts = new Map(Object.entries(options.hosts ?? {}));
  const emulator = new EmulatedModem({
    config: { bootUrcs: false, escapeGuardMs: TEST_GUARD_MS, hosts, ...options.config },
    network: new RealNetwork({ hosts, staticOnly: true }),
  });
  const { host, module } = createMemoryPair();
  module.on('data', (chunk: Buffer) => emulator.input(chunk));
  emulator.on('output', (bytes) => {
    if (!module.destroyed) module.write(bytes);
  });
  module.on('error', () => {});
  const a76xx = await A76xx.open(host, {
    mode: options.mode,
    guardMs: TEST_GUARD_MS,
    escapeAnswerMs: 250,
    syncTimeoutMs: 500,
    pollIntervalMs: 20,
    timeouts: { '+CIPOPEN': 5_000, '+CIPSEND': 5_000, '+NETOPEN': 5_000, '+NETCLOSE': 5_000, '+CIPCLOSE': 5_000 },
    ...options.driver,
  });
  return {
    a76xx,
    emulator,
    cut: () => module.destroy(),
    close: async () => {
      await a76xx.close();
      module.destroy();
      // Whatever the module still had open (a failed test's sockets) goes with a power cycle.
      emulator.reboot();
    },
  };
}

/** A loopback TCP server; `onConnection` (default: echo) gets each connection. */
export async function startTcpServer(onConnection: (socket: Socket) => void = (s) => s.pipe(s)): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reject after `ms` (bounded waits in tests). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Collect a readable's bytes until it ends (bounded). */
export function readAll(stream: NodeJS.ReadableStream, ms: number, what = 'the stream to end'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return within(
    new Promise<Buffer>((resolve, reject) => {
      stream.once('end', () => resolve(Buffer.concat(chunks)));
      stream.once('error', reject);
    }),
    ms,
    what,
  );
}

/**
 * An emulator in this process served on a loopback TCP port (what `a76xx emulate --tcp` serves),
 * for code that takes a device string: `device` is `tcp://127.0.0.1:<port>`.
 */
export async function serveEmulator(options: { hosts?: Readonly<Record<string, string>>; config?: ConfigOverrides } = {}): Promise<{
  device: string;
  emulator: EmulatedModem;
  close: () => Promise<void>;
}> {
  const hosts = new Map(Object.entries(options.hosts ?? {}));
  const emulator = new EmulatedModem({
    config: { bootUrcs: false, escapeGuardMs: TEST_GUARD_MS, hosts, ...options.config },
    network: new RealNetwork({ hosts, staticOnly: true }),
  });
  const endpoint = await serveTcp(emulator, { host: '127.0.0.1', port: 0 });
  return {
    device: `tcp://127.0.0.1:${endpoint.port}`,
    emulator,
    close: async () => {
      await endpoint.close();
      emulator.reboot();
    },
  };
}
