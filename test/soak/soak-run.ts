/**
 * The soak run: for each receive mode (push, buffer, transparent), random data through the driver's
 * public API and an emulated module (same process, in-memory AT line) to loopback echo servers,
 * SHA-256 compared at the three points it passes (what the host sent, what the server got, what came
 * back), while faults fire:
 *
 * - during every TCP transfer: other links open, echo a little and close, in turn by the host
 *   (`end`), by their peer (`close-link`: FIN), by a reset (`reset-link`: RST) and by `destroy()`;
 *   the network's latency changes (`latency` 0/1/5/20 ms); in transparent mode (one link only) a
 *   `+++`/AT/`ATO` round (`commandMode`) instead, and `\r\nCLOSED\r\n` inside the data (the driver
 *   must probe it and go on);
 * - between two transfers: `network-loss` while sockets are open (they must all fail), then
 *   `network-restore` and `recover()`: the next transfer must work;
 * - UDP (push and buffer): sequence-numbered datagrams with a small window, each checked against
 *   what was sent; loss is counted and reported apart (UDP promises none), corruption fails.
 *
 * Every wait is bounded; the whole run has a deadline. Failures are collected, not thrown: the report
 * says what went wrong where.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { SocketMode } from '../../src/driver/link-user.js';
import type { TcpSocket } from '../../src/driver/tcp-socket.js';
import type { UdpSocket } from '../../src/driver/udp-socket.js';
import { CHURN_HOST, ECHO_HOST, startEchoServer, startRig, startUdpEchoServer, UDP_HOST, type EchoServer, type SoakRig, type UdpEchoServer } from './rig.js';
import { sleep } from '../../src/time/sleep.js';

export const MIB = 1024 * 1024;

export interface SoakOptions {
  /** TCP payload per mode, MiB (each way: it is echoed). */
  readonly mib: number;
  /** UDP payload per mode where UDP applies (push, buffer), MiB. */
  readonly udpMib: number;
  readonly modes: readonly SocketMode[];
  /** TCP transfers per mode; the network is lost and recovered between the middle two. */
  readonly segments: number;
  /** The whole run must end by then (ms from the start). */
  readonly deadlineMs: number;
  readonly log: (line: string) => void;
}

export interface TcpFigures {
  readonly bytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  readonly segments: number;
  /** SHA-256 over every segment's bytes in order, as sent, as the server got them, as echoed back. */
  readonly sha256: { readonly sent: string; readonly atServer: string; readonly echoed: string };
  readonly lostBytes: number;
}

export interface UdpFigures {
  readonly datagrams: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mibPerSecond: number;
  /** Sent, never echoed (UDP_WAIT_MS and the end of the run passed): the datagram or its echo was dropped. */
  readonly lost: number;
  /** Echoed after UDP_WAIT_MS (counted, checked, not lost). */
  readonly late: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly corrupted: number;
  readonly serverDatagrams: number;
  readonly sha256: { readonly sent: string; readonly atServer: string; readonly echoed: string };
}

export interface ModeReport {
  readonly mode: SocketMode;
  tcp: TcpFigures | undefined;
  udp: UdpFigures | undefined;
  readonly faults: Record<string, number>;
  readonly failures: string[];
}

export interface SoakReport {
  readonly options: Omit<SoakOptions, 'log'>;
  readonly modes: ModeReport[];
  readonly seconds: number;
  readonly ok: boolean;
}

/** Fragments of the module's framing written into the data: the driver must pass them as data. */
const FRAMING = Buffer.from('\r\nOK\r\n+IPD5\r\nRECV FROM:1.2.3.4:5\r\n+RECEIVE,1,3\r\n+CIPRXGET: 1,0\r\n\r\n>\r\nERROR\r\n*ATREADY: 1\r\n+++', 'latin1');
const CLOSED = Buffer.from('\r\nCLOSED\r\n', 'latin1');
const BLOCK = 64 * 1024;
const LATENCIES = [0, 1, 5, 20];

/** A data block: random bytes with the framing fragments written in at a random place. */
function block(size: number): Buffer {
  const bytes = randomBytes(size);
  if (size > FRAMING.length * 2) FRAMING.copy(bytes, Math.floor(Math.random() * (size - FRAMING.length)));
  return bytes;
}

class Deadline {
  private readonly end: number;
  constructor(ms: number) {
    this.end = Date.now() + ms;
  }

  get remaining(): number {
    return Math.max(0, this.end - Date.now());
  }

  /** Reject after `ms` (or when the run's deadline comes first). */
  bound<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    const limit = Math.min(ms, this.remaining);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${limit} ms${limit < ms ? ' (the run\'s deadline)' : ''}`)), limit);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Time a transfer of `bytes` may take: generous (a loaded machine), but bounded. */
function allowanceMs(bytes: number): number {
  return 30_000 + (bytes / (100 * 1024)) * 1000;
}


function connected(socket: TcpSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before it connected')));
  });
}

function closed(socket: TcpSocket | UdpSocket): Promise<void> {
  return new Promise((resolve) => {
    if ('destroyed' in socket && socket.destroyed && socket.closed) resolve();
    socket.once('close', () => resolve());
  });
}

/** Wait for 'drain' — or the socket's end, which must not leave the writer waiting forever. */
function drained(socket: TcpSocket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

// ---------------------------------------------------------------- TCP transfers

interface Segment {
  readonly socket: TcpSocket;
  readonly seconds: number;
}

interface Hashes {
  readonly sent: ReturnType<typeof createHash>;
  readonly echoed: ReturnType<typeof createHash>;
}

/**
 * One TCP transfer of `size` bytes to the echo server, all echoed back. Resolves with the socket
 * still open (idle) once every byte came back and the server counted it; hashes are updated as the
 * bytes go.
 */
async function transferTcp(
  rig: SoakRig,
  echo: EchoServer,
  size: number,
  hashes: Hashes,
  deadline: Deadline,
  extras: { closedMarkers: number; commandModeAt: number | undefined; faults: Record<string, number> },
): Promise<Segment> {
  const started = performance.now();
  const before = echo.connections.length;
  const socket = rig.a76xx.createConnection({ host: ECHO_HOST, port: echo.port });
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure ??= error;
  });
  await deadline.bound(connected(socket), 15_000, 'connect');
  let received = 0;
  const echoed = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      hashes.echoed.update(chunk);
      received += chunk.length;
      if (received >= size) resolve();
    });
    socket.on('close', () => reject(new Error(`the socket closed after ${received} of ${size} bytes came back${failure ? `: ${failure.message}` : ''}`)));
  });
  echoed.catch(() => {}); // awaited below
  // Where `\r\nCLOSED\r\n` goes into the data (transparent: each is a probe for the driver).
  const blocks = Math.ceil(size / BLOCK);
  const markers = new Set(Array.from({ length: extras.closedMarkers }, (_, i) => Math.floor(((i + 1) * blocks) / (extras.closedMarkers + 1))));
  let commandMode: Promise<unknown> | undefined;
  let index = 0;
  for (let at = 0; at < size; index++) {
    const bytes = block(Math.min(BLOCK, size - at));
    if (markers.has(index) && bytes.length > CLOSED.length * 2) {
      CLOSED.copy(bytes, Math.floor(bytes.length / 2));
      extras.faults['closed-in-data'] = (extras.faults['closed-in-data'] ?? 0) + 1;
    }
    hashes.sent.update(bytes);
    at += bytes.length;
    if (commandMode === undefined && extras.commandModeAt !== undefined && at >= extras.commandModeAt) {
      // AT commands in the middle of a transparent transfer: +++, AT+CSQ, ATO; data waits meanwhile.
      commandMode = rig.a76xx.commandMode((modem) => modem.command('AT+CSQ'));
      commandMode.then(
        () => (extras.faults['command-mode'] = (extras.faults['command-mode'] ?? 0) + 1),
        (error: unknown) => (failure ??= error instanceof Error ? error : new Error(String(error))),
      );
    }
    if (!socket.write(bytes)) await deadline.bound(drained(socket), allowanceMs(BLOCK * 16), 'drain');
    if (failure !== undefined) throw failure;
  }
  await deadline.bound(echoed, allowanceMs(size), `${size} bytes echoed`);
  if (commandMode !== undefined) await deadline.bound(commandMode, 10_000, 'commandMode');
  const seconds = (performance.now() - started) / 1000;
  const record = echo.connections[before];
  if (record === undefined || record.bytes !== size) throw new Error(`the echo server got ${record?.bytes ?? 0} of ${size} bytes`);
  return { socket, seconds };
}

/** Links that open, echo a little and close in the four ways, one after the other, until stopped. */
function startChurn(rig: SoakRig, churn: EchoServer, faults: Record<string, number>, failures: string[], deadline: Deadline): { stop: () => Promise<void>; open: Set<TcpSocket> } {
  let stopped = false;
  const open = new Set<TcpSocket>();
  const count = (what: string): void => {
    faults[what] = (faults[what] ?? 0) + 1;
  };
  const once = async (k: number): Promise<void> => {
    const socket = rig.a76xx.createConnection({ host: CHURN_HOST, port: churn.port });
    socket.on('error', () => {});
    open.add(socket);
    const gone = closed(socket);
    try {
      await deadline.bound(connected(socket), 15_000, 'churn connect');
      count('churn-links');
      const payload = block(1 + Math.floor(Math.random() * 4000));
      const back: Buffer[] = [];
      let length = 0;
      const echoed = new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          back.push(chunk);
          length += chunk.length;
          if (length >= payload.length) resolve();
        });
      });
      socket.write(payload);
      await deadline.bound(echoed, 15_000, 'churn echo');
      if (!Buffer.concat(back).equals(payload)) failures.push(`churn link ${k}: the echo differs from what was sent`);
      const link = socket.linkNumber;
      switch (k % 4) {
        case 0:
          socket.end();
          count('host-close');
          break;
        case 1:
          await rig.control('close-link', { link: link ?? -1 });
          count('close-link');
          break;
        case 2:
          await rig.control('reset-link', { link: link ?? -1 });
          count('reset-link');
          break;
        default:
          socket.destroy();
          count('destroy');
      }
      await deadline.bound(gone, 15_000, 'churn close');
    } finally {
      open.delete(socket);
      if (!socket.destroyed) socket.destroy();
    }
  };
  const loop = async (offset: number): Promise<void> => {
    for (let k = offset; !stopped; k += 2) {
      try {
        await once(k);
      } catch (error) {
        if (!stopped) failures.push(`churn link ${k}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const loops = [loop(0), loop(1)];
  return {
    open,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** The network's latency changes now and then while a transfer runs. */
function startLatency(rig: SoakRig, faults: Record<string, number>, failures: string[]): { stop: () => Promise<void> } {
  let turn = 0;
  const timer = setInterval(() => {
    const ms = LATENCIES[++turn % LATENCIES.length] as number;
    rig.control('latency', { ms }).then(
      () => (faults['latency-change'] = (faults['latency-change'] ?? 0) + 1),
      (error: unknown) => failures.push(`latency ${ms}: ${String(error)}`),
    );
  }, 700);
  return {
    stop: async () => {
      clearInterval(timer);
      await rig.control('latency', { ms: 0 });
    },
  };
}

/**
 * The network goes while sockets are open: every one of them must fail (or end), new ones are
 * refused, and after `network-restore` and `recover()` the driver works again.
 */
async function loseNetwork(rig: SoakRig, sockets: readonly (TcpSocket | UdpSocket)[], faults: Record<string, number>, deadline: Deadline): Promise<void> {
  const lost = new Promise<void>((resolve) => rig.a76xx.once('network-lost', () => resolve()));
  const ends = sockets.map(closed);
  await rig.control('network-loss');
  faults['network-loss'] = (faults['network-loss'] ?? 0) + 1;
  await deadline.bound(lost, 10_000, 'the network-lost event');
  await deadline.bound(Promise.all(ends), 10_000, 'every open socket failing');
  await rig.control('network-restore');
  await deadline.bound(rig.a76xx.recover(), 30_000, 'recover()');
  faults['recovered'] = (faults['recovered'] ?? 0) + 1;
}

async function soakTcp(rig: SoakRig, mode: SocketMode, options: SoakOptions, report: ModeReport, deadline: Deadline): Promise<void> {
  const echo = await startEchoServer();
  const churnServer = await startEchoServer();
  const hashes: Hashes = { sent: createHash('sha256'), echoed: createHash('sha256') };
  const total = Math.round(options.mib * MIB);
  const segments = Math.max(1, options.segments);
  const lossAfter = Math.floor(segments / 2) - 1; // between the middle two
  let moved = 0;
  let seconds = 0;
  try {
    for (let s = 0; s < segments; s++) {
      const size = Math.floor(total / segments) + (s === segments - 1 ? total % segments : 0);
      const churn = mode === 'transparent' ? undefined : startChurn(rig, churnServer, report.faults, report.failures, deadline);
      const latency = startLatency(rig, report.faults, report.failures);
      let segment: Segment | undefined;
      try {
        segment = await transferTcp(rig, echo, size, hashes, deadline, {
          closedMarkers: mode === 'transparent' ? 2 : 0,
          commandModeAt: mode === 'transparent' ? Math.floor(size / 3) : undefined,
          faults: report.faults,
        });
        moved += size;
        seconds += segment.seconds;
        options.log(`soak: ${mode} tcp ${s + 1}/${segments}: ${(size / MIB).toFixed(1)} MiB echoed in ${segment.seconds.toFixed(1)} s (${(size / MIB / segment.seconds).toFixed(2)} MiB/s)`);
      } catch (error) {
        report.failures.push(`${mode} tcp transfer ${s + 1}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await latency.stop();
        if (churn !== undefined) await churn.stop();
      }
      if (segment === undefined) break;
      if (s === lossAfter && segments > 1) {
        // Sockets open while the network goes: the idle main one, a UDP socket where UDP exists.
        const open: (TcpSocket | UdpSocket)[] = [segment.socket];
        if (mode !== 'transparent') {
          const udp = rig.a76xx.createUdpSocket();
          udp.on('error', () => {});
          await deadline.bound(new Promise<void>((resolve) => udp.bind(() => resolve())), 10_000, 'udp bind');
          open.push(udp);
        }
        for (const socket of open) socket.on('error', () => {});
        try {
          await loseNetwork(rig, open, report.faults, deadline);
          options.log(`soak: ${mode}: network lost with ${open.length} socket(s) open, every one failed, recovered`);
        } catch (error) {
          report.failures.push(`${mode} network loss: ${error instanceof Error ? error.message : String(error)}`);
          break;
        }
      } else {
        segment.socket.end();
        await deadline.bound(closed(segment.socket), 15_000, 'the main socket closing').catch((error: unknown) => report.failures.push(String(error)));
      }
    }
  } finally {
    await echo.close();
    await churnServer.close();
  }
  const sha256 = { sent: hashes.sent.digest('hex'), atServer: echo.hash.digest('hex'), echoed: hashes.echoed.digest('hex') };
  report.tcp = { bytes: moved, seconds, mibPerSecond: seconds > 0 ? moved / MIB / seconds : 0, segments, sha256, lostBytes: total - moved };
  if (sha256.sent !== sha256.atServer) report.failures.push(`${mode} tcp: the bytes the server got differ from the bytes sent (SHA-256)`);
  if (sha256.sent !== sha256.echoed) report.failures.push(`${mode} tcp: the bytes that came back differ from the bytes sent (SHA-256)`);
  if (moved !== total) report.failures.push(`${mode} tcp: ${total - moved} of ${total} bytes not moved`);
}

// ---------------------------------------------------------------- UDP

/** Datagrams in flight at most: UDP has no flow control, so the sender keeps to a window of echoes. */
const UDP_WINDOW = 32;
const UDP_WAIT_MS = 3_000;

async function soakUdp(rig: SoakRig, mode: SocketMode, options: SoakOptions, report: ModeReport, deadline: Deadline): Promise<void> {
  const server: UdpEchoServer = await startUdpEchoServer();
  const churnServer = await startEchoServer();
  const churn = startChurn(rig, churnServer, report.faults, report.failures, deadline);
  const latency = startLatency(rig, report.faults, report.failures);
  const total = Math.round(options.udpMib * MIB);
  const sentHash = createHash('sha256');
  const echoedHash = createHash('sha256');
  const outstanding = new Map<number, Buffer>();
  /** Given up as lost after UDP_WAIT_MS; an echo that still comes is late, not lost. */
  const givenUp = new Map<number, Buffer>();
  let late = 0;
  let datagrams = 0;
  let bytes = 0;
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  let corrupted = 0;
  let lastSeq = -1;
  let progress: (() => void) | undefined;
  const socket = rig.a76xx.createUdpSocket();
  let failure: Error | undefined;
  socket.on('error', (error) => {
    failure ??= error;
    progress?.();
  });
  socket.on('message', (msg) => {
    const seq = msg.length >= 4 ? msg.readUInt32BE(0) : -1;
    const expected = outstanding.get(seq);
    const overdue = givenUp.get(seq);
    if (overdue !== undefined) {
      givenUp.delete(seq);
      lost--;
      late++;
      if (!overdue.equals(msg)) corrupted++;
    } else if (expected === undefined) {
      if (seq >= 0 && seq < datagrams) duplicated++;
      else corrupted++;
    } else if (!expected.equals(msg)) {
      corrupted++;
      outstanding.delete(seq);
    } else {
      echoedHash.update(msg);
      outstanding.delete(seq);
      if (seq < lastSeq) reordered++;
      lastSeq = seq;
    }
    progress?.();
  });
  const started = performance.now();
  try {
    await deadline.bound(new Promise<void>((resolve) => socket.bind(() => resolve())), 10_000, 'udp bind');
    /** Wait for an echo; after UDP_WAIT_MS without one, the oldest datagram counts as lost. */
    const room = async (limit: number): Promise<void> => {
      while (outstanding.size > limit && failure === undefined) {
        const heard = await deadline.bound(
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), UDP_WAIT_MS);
            progress = () => {
              clearTimeout(timer);
              resolve(true);
            };
          }),
          UDP_WAIT_MS * 2,
          'udp progress',
        );
        progress = undefined;
        if (!heard) {
          const oldest = outstanding.keys().next().value as number;
          givenUp.set(oldest, outstanding.get(oldest) as Buffer);
          outstanding.delete(oldest);
          lost++;
        }
      }
    };
    while (bytes < total && failure === undefined) {
      await room(UDP_WINDOW - 1);
      const size = Math.min(total - bytes, Math.random() < 0.8 ? 1400 : 4 + Math.floor(Math.random() * 1397));
      const datagram = block(Math.max(4, size));
      datagram.writeUInt32BE(datagrams, 0);
      outstanding.set(datagrams, datagram);
      sentHash.update(datagram);
      datagrams++;
      bytes += datagram.length;
      socket.send(datagram, server.port, UDP_HOST, (error) => {
        if (error !== null) failure ??= error;
      });
    }
    await room(0);
    if (failure !== undefined) throw failure;
  } catch (error) {
    report.failures.push(`${mode} udp: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    const seconds = (performance.now() - started) / 1000;
    await latency.stop();
    await churn.stop();
    socket.close();
    await churnServer.close();
    await server.close();
    const sha256 = { sent: sentHash.digest('hex'), atServer: server.hash.digest('hex'), echoed: echoedHash.digest('hex') };
    report.udp = { datagrams, bytes, seconds, mibPerSecond: bytes / MIB / seconds, lost, late, duplicated, reordered, corrupted, serverDatagrams: server.datagrams, sha256 };
    options.log(`soak: ${mode} udp: ${datagrams} datagrams, ${(bytes / MIB).toFixed(1)} MiB echoed in ${seconds.toFixed(1)} s, ${lost} lost`);
  }
  if (corrupted > 0 || duplicated > 0) report.failures.push(`${mode} udp: ${corrupted} corrupted and ${duplicated} duplicated datagrams`);
  if (lost === 0 && reordered === 0 && report.udp.sha256.sent !== report.udp.sha256.echoed) report.failures.push(`${mode} udp: nothing lost, yet the SHA-256 differ`);
}

// ---------------------------------------------------------------- the run

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const deadline = new Deadline(options.deadlineMs);
  const started = performance.now();
  const modes: ModeReport[] = [];
  for (const mode of options.modes) {
    const report: ModeReport = { mode, tcp: undefined, udp: undefined, faults: {}, failures: [] };
    modes.push(report);
    let rig: SoakRig | undefined;
    try {
      rig = await deadline.bound(startRig(mode), 30_000, `${mode}: bring-up`);
      rig.a76xx.on('warning', (message) => report.failures.push(`${mode}: driver warning: ${message}`));
      await soakTcp(rig, mode, options, report, deadline);
      if (mode !== 'transparent' && options.udpMib > 0) await soakUdp(rig, mode, options, report, deadline);
      // Nothing left behind: every link free on the driver's side once the sockets are gone.
      const held = rig;
      await deadline
        .bound(linksFree(held), 10_000, 'every link released')
        .catch((error: unknown) => report.failures.push(`${mode}: ${String(error)} (${linkStates(held)})`));
    } catch (error) {
      report.failures.push(`${mode}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await rig?.close();
    }
  }
  const { log: _log, ...rest } = options;
  return { options: rest, modes, seconds: (performance.now() - started) / 1000, ok: modes.every((m) => m.failures.length === 0) };
}

async function linksFree(rig: SoakRig): Promise<void> {
  while (/reserved|open|closed/.test(linkStates(rig))) await sleep(20);
}

function linkStates(rig: SoakRig): string {
  return Array.from({ length: 10 }, (_, l) => `${l}:${rig.a76xx.modem.linkState(l)}`).join(' ');
}

/** The report as the lines `npm run soak` prints. */
export function describeReport(report: SoakReport): string[] {
  const lines: string[] = [];
  for (const m of report.modes) {
    if (m.tcp !== undefined) {
      const t = m.tcp;
      lines.push(
        `${m.mode.padEnd(11)} tcp  ${(t.bytes / MIB).toFixed(1)} MiB each way in ${t.seconds.toFixed(1)} s: ${t.mibPerSecond.toFixed(2)} MiB/s, ` +
          `lost ${t.lostBytes} B, sha256 ${t.sha256.sent === t.sha256.atServer && t.sha256.sent === t.sha256.echoed ? 'equal at both ends' : 'DIFFERENT'} (${t.sha256.sent.slice(0, 16)}…)`,
      );
    }
    if (m.udp !== undefined) {
      const u = m.udp;
      const same = u.sha256.sent === u.sha256.atServer && u.sha256.sent === u.sha256.echoed;
      lines.push(
        `${m.mode.padEnd(11)} udp  ${u.datagrams} datagrams, ${(u.bytes / MIB).toFixed(1)} MiB each way in ${u.seconds.toFixed(1)} s: ${u.mibPerSecond.toFixed(2)} MiB/s, ` +
          `lost ${u.lost}, late ${u.late}, reordered ${u.reordered}, corrupted ${u.corrupted}, duplicated ${u.duplicated}, ` +
          `sha256 ${same ? 'equal at both ends' : 'differ (loss or order)'}`,
      );
      if (u.lost > 0) {
        lines.push(
          `${m.mode.padEnd(11)} udp  ${u.lost} datagram(s) never came back (the server got ${u.serverDatagrams} of ${u.datagrams}): UDP does not ` +
            'retransmit; on loopback that means a full socket buffer (kernel, or the module\'s receive buffer in buffer mode)',
        );
      }
    }
    const faults = Object.entries(m.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`${m.mode.padEnd(11)} faults: ${faults || 'none'}`);
    for (const f of m.failures) lines.push(`${m.mode.padEnd(11)} FAILURE: ${f}`);
  }
  lines.push(`soak: ${report.ok ? 'ok' : 'FAILED'} in ${report.seconds.toFixed(1)} s`);
  return lines;
}
