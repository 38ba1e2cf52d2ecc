/**
 * fleet: many modems in one process (src/fleet/fleet.ts), each with an AT connection and an open
 * TCP link to a sink in another process; the RSS each costs, and AT round trips (`AT` → `OK`)
 * while all are idle and while 10 % of them send (a 1500-byte CIPSEND every second each).
 *
 * Two variants, because a process may hold 20,000 descriptors here (hard limit):
 * - memory: 10,000 modems, each AT connection an in-process duplex pair (createMemoryPair with setImmediate delivery,
 *   event-loop delivery) driven from the fleet process itself; one descriptor per modem (its link).
 * - tcp: each modem served on its own TCP port as `a76xx emulate --count N` does, the hosts in
 *   another process; three descriptors per modem (listener, AT connection, link), so N is the
 *   largest that fits: (limit − reserve) / 3.
 *
 * Baselines, measured in the same run: for memory, the same connections held without any modem
 * ("bare": the duplex pairs, the host objects, one socket to the sink each; a fresh process); for
 * round trips, a trivial responder that answers every line with OK over the same kind of
 * connection in the same process, probed alternately with the modems.
 */
import { readFileSync } from 'node:fs';
import { benchScript, spawnBench, type BenchChild } from './lib/child.js';
import type { Latencies } from './lib/lean-host.js';
import { row, type Row } from './lib/report.js';

export interface FleetOptions {
  /** Modems of the in-memory variant. */
  readonly n: number;
  /** Modems of the TCP variant (0: the largest that fits the descriptor limit). */
  readonly tcpN: number;
  /** Round-trip probes per phase. */
  readonly samples: number;
  readonly sendFraction: number;
  readonly sendSize: number;
  readonly sendIntervalMs: number;
  /** First AT port of the TCP variant. */
  readonly basePort: number;
}

interface Built {
  readonly n: number;
  readonly rssPerModem: number;
  readonly heapPerModem: number;
  readonly rssMiB: number;
  readonly descriptors: number;
  readonly netOpen?: number;
}

interface Rtt {
  readonly idle: { modem: Latencies; baseline: Latencies };
  readonly sending: { modem: Latencies; baseline: Latencies };
  readonly senders: number;
  readonly sendsPerSecond: number;
  readonly sendFailures: number;
}

const BUILD_MS = 240_000;

/** Descriptors one process may open (soft limit, as the process sees it). */
export function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s{2,}/)[1]);
  return Number.isFinite(soft) ? soft : 1024;
}

/** The largest TCP fleet that fits: 3 descriptors a modem, a reserve for the rest, ports below the ephemeral range. */
export function largestTcpFleet(basePort: number): number {
  const reserve = 300;
  const byDescriptors = Math.floor((openFilesLimit() - reserve) / 3);
  let ephemeralStart = 32768;
  try {
    ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: keep the usual start
  }
  return Math.max(1, Math.min(byDescriptors, ephemeralStart - basePort));
}

async function withSink<T>(run: (sinkPort: number) => Promise<T>): Promise<T> {
  const sink = spawnBench(benchScript('workers/sink'));
  try {
    const { port } = await sink.message<{ port: number }>('ready', 20_000);
    return await run(port);
  } finally {
    await sink.stop();
  }
}

function fleetWorker(): BenchChild {
  return spawnBench(benchScript('workers/fleet'), [], { nodeFlags: ['--expose-gc'] });
}

async function buildMemory(kind: 'modems' | 'bare', o: FleetOptions, rtt: boolean): Promise<{ built: Built; rtt?: Rtt }> {
  return withSink(async (sinkPort) => {
    const worker = fleetWorker();
    try {
      worker.send({ build: { variant: 'memory', kind, n: o.n, sinkPort, basePort: 0 } });
      const built = await worker.message<Built>('built', BUILD_MS);
      if (!rtt) return { built };
      worker.send({ rtt: { samples: o.samples, fraction: o.sendFraction, size: o.sendSize, intervalMs: o.sendIntervalMs } });
      return { built, rtt: await worker.message<Rtt>('rtt', BUILD_MS) };
    } finally {
      await worker.stop();
    }
  });
}

async function buildTcp(kind: 'modems' | 'bare', n: number, o: FleetOptions, rtt: boolean): Promise<{ built: Built; rtt?: Rtt }> {
  return withSink(async (sinkPort) => {
    const worker = fleetWorker();
    const client = spawnBench(benchScript('workers/fleet-client'));
    try {
      worker.send({ build: { variant: 'tcp', kind, n, sinkPort, basePort: o.basePort } });
      const serving = await worker.message<{ basePort: number; responderPort: number }>('serving', BUILD_MS);
      client.send({ connect: { n, basePort: serving.basePort, responderPort: serving.responderPort, sinkPort, bringUp: kind === 'modems' } });
      await client.message('connected', BUILD_MS);
      worker.send({ measure: true });
      const built = await worker.message<Built>('built', BUILD_MS);
      if (!rtt) return { built };
      client.send({ rtt: { samples: o.samples, fraction: o.sendFraction, size: o.sendSize, intervalMs: o.sendIntervalMs } });
      return { built, rtt: await client.message<Rtt>('rtt', BUILD_MS) };
    } finally {
      await client.stop();
      await worker.stop();
    }
  });
}

function rows(prefix: string, modems: { built: Built; rtt?: Rtt }, bare: Built, o: FleetOptions, how: string): Row[] {
  const built = modems.built;
  const rtt = modems.rtt as Rtt;
  const n = built.n;
  const common = { modems: n };
  const rttRow = (phase: 'idle' | 'sending', p: 'p50' | 'p99'): Row =>
    row({
      name: `${prefix}-at-rtt-${phase}-${p}`,
      value: rtt[phase].modem[p],
      unit: 'ms',
      baseline: rtt[phase].baseline[p],
      baselineIs: `OK responder over the same kind of connection, same process (${how})`,
      ...(phase === 'idle' && p === 'p99' ? { goal: { on: 'value' as const, below: 5 } } : {}),
      ...common,
      detail: {
        samples: rtt[phase].modem.samples,
        maxMs: Math.round(rtt[phase].modem.max * 1000) / 1000,
        ...(phase === 'sending'
          ? {
              senders: rtt.senders,
              sendEveryMs: o.sendIntervalMs,
              sendBytes: o.sendSize,
              sendsPerSecond: Math.round(rtt.sendsPerSecond),
              sendFailures: rtt.sendFailures,
            }
          : {}),
      },
    });
  return [
    row({
      name: `${prefix}-rss-per-modem`,
      value: built.rssPerModem / 1024,
      unit: 'KiB',
      baseline: bare.rssPerModem / 1024,
      baselineIs: `the same connections without modems (${how})`,
      goal: { on: 'value', atMost: 20 },
      ...common,
      detail: {
        heapPerModemKiB: Math.round(built.heapPerModem / 102.4) / 10,
        processRssMiB: Math.round(built.rssMiB),
        descriptors: built.descriptors,
        linksOpen: built.netOpen ?? -1,
      },
    }),
    rttRow('idle', 'p50'),
    rttRow('idle', 'p99'),
    rttRow('sending', 'p50'),
    rttRow('sending', 'p99'),
  ];
}

export async function fleetMemory(o: FleetOptions): Promise<Row[]> {
  const bare = await buildMemory('bare', o, false);
  const modems = await buildMemory('modems', o, true);
  return rows('fleet', modems, bare.built, o, 'in-process AT connections');
}

export async function fleetTcp(o: FleetOptions): Promise<Row[]> {
  const n = o.tcpN > 0 ? o.tcpN : largestTcpFleet(o.basePort);
  const bare = await buildTcp('bare', n, o, false);
  const modems = await buildTcp('modems', n, o, true);
  return rows('fleet-tcp', modems, bare.built, o, 'a TCP AT port per modem');
}
