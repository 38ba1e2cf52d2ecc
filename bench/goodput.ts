/**
 * transparent-goodput and command-goodput: bytes per second through the emulator (the real CLI,
 * `a76xx emulate --tcp`, in its own process) between a host on its AT port and a loopback peer,
 * against a plain Node TCP relay (bench/workers/relay.ts, also its own process) between the same
 * two endpoints. Host and peer live in this process; only the middle differs.
 *
 *   transparent: host ──AT port──► emulator ──link 0──► sink      (host → network, raw bytes)
 *                host ───────────► relay ─────────────► sink
 *   command:     host ─CIPSEND 1500─► emulator ─link 0─► echo peer ─► +IPD pushes ─► host
 *                host ─1500-byte writes─► relay ─► echo peer ─► relay ─► host
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { benchScript, CLI, spawnBench, type BenchChild } from './lib/child.js';
import { AtClient, connectLoopback } from './lib/at-client.js';
import { row, type Row } from './lib/report.js';
import { sleep } from '../src/time/sleep.js';

export interface GoodputOptions {
  /** Streaming before the window opens. */
  readonly warmupMs: number;
  /** The measured window. */
  readonly windowMs: number;
  /** Alternating runs of baseline and emulator; the medians are reported. */
  readonly rounds: number;
}

const RELAY = benchScript('workers/relay');
const CHUNK = 64 * 1024;
/** One CIPSEND, the module's maximum (spec §0.3). */
const SEND_SIZE = 1500;

/** Bytes that never contain `+` (no escape can form) nor anything else special. */
function payload(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = 0x30 + ((i * 7) % 64);
  return bytes;
}

interface Peer {
  readonly server: Server;
  readonly port: number;
  /** Bytes the peer received. */
  received(): number;
  close(): Promise<void>;
}

async function startPeer(echo: boolean): Promise<Peer> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (bytes: Buffer) => {
      received += bytes.length;
      if (echo && !socket.write(bytes)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `a76xx emulate` on a free loopback port; resolves with the child and the port. */
export async function startEmulatorCli(extra: readonly string[] = []): Promise<{ child: BenchChild; port: number }> {
  const profile = process.env['BENCH_CPU_PROF_DIR'];
  const child = spawnBench(CLI, ['emulate', '--tcp', '127.0.0.1:0', '--no-boot-urcs', '--hosts-only', ...extra], {
    nodeFlags: profile !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [],
  });
  const match = await child.line(/a76xx emulator ready: tcp 127\.0\.0\.1:(\d+)/, 20_000);
  return { child, port: Number(match[1]) };
}

async function startRelay(target: number): Promise<{ child: BenchChild; port: number }> {
  const child = spawnBench(RELAY, [String(target)]);
  const { port } = await child.message<{ port: number }>('ready', 20_000);
  return { child, port };
}

/** Rate of `count()` over the window after the warm-up, in units per second. */
async function windowRate(count: () => number, options: GoodputOptions): Promise<{ rate: number; total: number }> {
  await sleep(options.warmupMs);
  const c0 = count();
  const t0 = performance.now();
  await sleep(options.windowMs);
  const c1 = count();
  const t1 = performance.now();
  return { rate: ((c1 - c0) * 1000) / (t1 - t0), total: c1 - c0 };
}


/** Write `chunk` for ever (until `stop`), respecting the socket's back-pressure. */
function stream(socket: Socket, chunk: Buffer): { stop: () => void; written: () => number } {
  let stopped = false;
  let written = 0;
  const pump = (): void => {
    while (!stopped) {
      written += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  queueMicrotask(pump);
  return {
    stop: () => {
      stopped = true;
    },
    written: () => written,
  };
}

/** Resolve once `count()` has not moved for `quietMs` (or after `maxMs`). */
async function settled(count: () => number, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = count();
  let still = Date.now();
  while (Date.now() < deadline && Date.now() - still < quietMs) {
    await sleep(50);
    if (count() !== last) {
      last = count();
      still = Date.now();
    }
  }
}

/** Runs of each kind, alternating, so that a busy moment of the machine hits both alike. */
export const ROUNDS = 3;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function alternate<T>(rounds: number, baseline: () => Promise<T>, measured: () => Promise<T>): Promise<{ baseline: T[]; measured: T[] }> {
  const out = { baseline: [] as T[], measured: [] as T[] };
  for (let i = 0; i < rounds; i++) {
    out.baseline.push(await baseline());
    out.measured.push(await measured());
  }
  return out;
}

/** Open link 0 to the peer on a fresh emulator; transparent or not. */
async function openLink(at: AtClient, peerPort: number, transparent: boolean): Promise<void> {
  await at.command('ATE0');
  if (transparent) await at.command('AT+CIPMODE=1');
  await at.command('AT+NETOPEN', /^\+NETOPEN: 0$/);
  const opened = transparent ? /^CONNECT/ : /^\+CIPOPEN: 0,0$/;
  const answer = await at.command(`AT+CIPOPEN=0,"TCP","127.0.0.1",${peerPort}`, new RegExp(`${opened.source}|ERROR|^\\+CIPOPEN: 0,\\d+$`));
  if (!opened.test(answer)) throw new Error(`CIPOPEN failed: ${answer}`);
}

export async function transparentGoodput(options: GoodputOptions): Promise<Row> {
  const data = payload(CHUNK);
  const measure = async (middle: 'emulator' | 'relay'): Promise<{ rate: number; lost: number }> => {
    const sink = await startPeer(false);
    const { child, port } = middle === 'emulator' ? await startEmulatorCli() : await startRelay(sink.port);
    try {
      const socket = await connectLoopback(port);
      socket.on('error', () => {});
      if (middle === 'emulator') {
        const at = new AtClient(socket);
        await openLink(at, sink.port, true);
        at.passthrough();
      }
      const writer = stream(socket, data);
      const { rate } = await windowRate(sink.received, options);
      writer.stop();
      await settled(() => sink.received() + socket.writableLength, 300, 5000);
      // What never reached the sink was dropped: the emulator reads its AT port without flow
      // control, and a link whose queue is full loses UART bytes as a module's would.
      const lost = writer.written() - socket.writableLength - sink.received();
      socket.destroy();
      return { rate, lost: Math.max(0, lost) };
    } finally {
      await child.stop();
      await sink.close();
    }
  };
  const runs = await alternate(
    options.rounds,
    () => measure('relay'),
    () => measure('emulator'),
  );
  return row({
    name: 'transparent-goodput',
    value: median(runs.measured.map((r) => r.rate)),
    unit: 'B/s',
    baseline: median(runs.baseline.map((r) => r.rate)),
    baselineIs: 'plain Node TCP relay, same host and sink',
    goal: { on: 'ratio', atLeast: 0.9 },
    detail: {
      rounds: options.rounds,
      windowMs: options.windowMs,
      emulatorRuns: runs.measured.map((r) => Math.round(r.rate)).join(' '),
      relayRuns: runs.baseline.map((r) => Math.round(r.rate)).join(' '),
      lostBytes: runs.measured.reduce((sum, r) => sum + r.lost, 0),
    },
  });
}

/**
 * One 1500-byte chunk at a time through the relay: write it, wait for its echo. The same
 * discipline as CIPSEND (one chunk per exchange), without the AT protocol.
 */
async function pingPongRelay(options: GoodputOptions, chunk: Buffer): Promise<number> {
  const peer = await startPeer(true);
  const { child, port } = await startRelay(peer.port);
  try {
    const socket = await connectLoopback(port);
    socket.on('error', () => {});
    let echoed = 0;
    let owed = 0;
    let stopped = false;
    socket.on('data', (bytes: Buffer) => {
      echoed += bytes.length;
      owed -= bytes.length;
      if (owed <= 0 && !stopped) {
        owed += chunk.length;
        socket.write(chunk);
      }
    });
    owed = chunk.length;
    socket.write(chunk);
    const { rate } = await windowRate(() => echoed, options);
    stopped = true;
    socket.destroy();
    return rate;
  } finally {
    await child.stop();
    await peer.close();
  }
}

async function cipsendLoop(options: GoodputOptions, chunk: Buffer): Promise<{ rate: number; sends: number; refused: number }> {
  const peer = await startPeer(true);
  const { child, port } = await startEmulatorCli();
  try {
    const socket = await connectLoopback(port);
    socket.on('error', () => {});
    const at = new AtClient(socket);
    await openLink(at, peer.port, false);
    let stopped = false;
    let sends = 0;
    let refused = 0;
    const loop = (async () => {
      while (!stopped) {
        const confirmed = await at.send(0, chunk);
        sends++;
        if (confirmed !== chunk.length) refused++;
      }
    })();
    const { rate } = await windowRate(() => at.pushedBytes, options);
    stopped = true;
    await loop;
    socket.destroy();
    return { rate, sends, refused };
  } finally {
    await child.stop();
    await peer.close();
  }
}

export async function commandGoodput(options: GoodputOptions): Promise<Row> {
  const chunk = payload(SEND_SIZE);
  const runs = await alternate(
    options.rounds,
    async () => ({ rate: await pingPongRelay(options, chunk), sends: 0, refused: 0 }),
    () => cipsendLoop(options, chunk),
  );
  return row({
    name: 'command-goodput',
    value: median(runs.measured.map((r) => r.rate)),
    unit: 'B/s',
    baseline: median(runs.baseline.map((r) => r.rate)),
    baselineIs: 'plain Node TCP relay, 1500-byte chunks one at a time, same echo peer',
    goal: { on: 'ratio', atLeast: 0.7 },
    detail: {
      rounds: options.rounds,
      windowMs: options.windowMs,
      emulatorRuns: runs.measured.map((r) => Math.round(r.rate)).join(' '),
      relayRuns: runs.baseline.map((r) => Math.round(r.rate)).join(' '),
      sends: runs.measured.reduce((sum, r) => sum + r.sends, 0),
      sendsNotFullyAccepted: runs.measured.reduce((sum, r) => sum + r.refused, 0),
    },
  });
}
