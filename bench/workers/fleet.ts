/**
 * The emulator side of the fleet bench: N modems in this one process (src/fleet/fleet.ts), or for
 * the baseline the same connections without any modem ("bare"). Run with --expose-gc: the RSS per
 * modem is the growth of this process's RSS from before the build to after it, after full GCs,
 * divided by N.
 *
 * Commands (JSON lines on stdin) and answers:
 *   {"build":{variant,kind,n,sinkPort,basePort}}   → @{"serving":{…}} (tcp) or @{"built":{…}} (memory)
 *   {"measure":true}                               → @{"built":{…}}   (tcp, once the clients are up)
 *   {"rtt":{samples,fraction,size,intervalMs}}     → @{"rtt":{…}}     (memory: the hosts live here)
 *
 * variant memory: each AT connection is an in-process duplex pair (createMemoryPair with setImmediate delivery)
 *   whose host end is driven from here; each modem's link is a real TCP connection to the sink
 *   process. Descriptors: one per modem.
 * variant tcp: each modem is served on its own TCP port (`a76xx emulate --count` does the same);
 *   the hosts are in another process. Descriptors: three per modem (listener, AT connection, link).
 */
import { readdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createMemoryPair } from '../../src/driver/transports/memory.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import { Fleet, serveFleetTcp } from '../../src/fleet/fleet.js';
import { commands, tell } from '../lib/child.js';
import { inBatches, LeanHost, probe, startSenders } from '../lib/lean-host.js';

/** AT connections delivered from `setImmediate`, so round trips wait behind other work as socket input does. */
const loopPair = () => createMemoryPair({ schedule: setImmediate });

interface Build {
  readonly variant: 'memory' | 'tcp';
  readonly kind: 'modems' | 'bare';
  readonly n: number;
  readonly sinkPort: number;
  readonly basePort: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    (gc as () => void)();
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const descriptors = (): number => readdirSync('/proc/self/fd').length;

let before = { rss: 0, heap: 0 };
let build: Build | undefined;
let fleet: Fleet | undefined;
const hosts: LeanHost[] = [];
let baselineHost: LeanHost | undefined;
/** Kept so nothing is collected: the bare connections. */
const held: unknown[] = [];

/** An AT port that answers every command line with OK, and nothing else: the RTT baseline. */
function answerOk(write: (bytes: string) => void): (bytes: Buffer) => void {
  return (bytes) => {
    for (const b of bytes) if (b === 0x0d) write('\r\nOK\r\n');
  };
}

function connectSink(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function buildMemory(b: Build): Promise<void> {
  const pair = loopPair();
  pair.module.on('data', answerOk((text) => pair.module.write(text)));
  baselineHost = new LeanHost(pair.host);
  if (b.kind === 'modems') {
    fleet = new Fleet({ count: b.n, config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
    for (const member of fleet.members) {
      const { host, module } = loopPair();
      module.on('data', (bytes: Buffer) => member.line.input(bytes));
      member.line.on('output', (bytes) => module.write(bytes));
      hosts.push(new LeanHost(host));
    }
    await inBatches(hosts, 256, (host) => host.openLink(b.sinkPort));
  } else {
    const sockets = Array.from({ length: b.n }, () => b.sinkPort);
    for (let i = 0; i < b.n; i++) {
      const { host, module } = loopPair();
      module.on('data', () => {});
      hosts.push(new LeanHost(host));
      held.push(module);
    }
    await inBatches(sockets, 256, async (port) => {
      held.push(await connectSink(port));
    });
  }
}

async function buildTcp(b: Build): Promise<{ basePort: number; responderPort: number }> {
  const responder = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', answerOk((text) => socket.write(text)));
  });
  const responderPort = await listen(responder, 0);
  if (b.kind === 'modems') {
    fleet = new Fleet({ count: b.n, config: { bootUrcs: false }, network: new RealNetwork({ staticOnly: true }) });
    await serveFleetTcp(fleet, { host: '127.0.0.1', basePort: b.basePort });
  } else {
    for (let i = 0; i < b.n; i++) {
      const server = createServer({ noDelay: true }, (socket) => {
        socket.on('data', () => {});
        socket.on('error', () => {});
        held.push(socket);
      });
      await listen(server, b.basePort + i);
      held.push(server);
    }
    await inBatches(
      Array.from({ length: b.n }, () => b.sinkPort),
      256,
      async (port) => {
        held.push(await connectSink(port));
      },
    );
  }
  return { basePort: b.basePort, responderPort };
}

async function measure(): Promise<void> {
  await settle();
  const m = process.memoryUsage();
  const n = (build as Build).n;
  const openLinks = fleet === undefined ? undefined : fleet.members.filter((t) => t.modem.state.ip.net === 'open').length;
  tell('built', {
    n,
    rssPerModem: (m.rss - before.rss) / n,
    heapPerModem: (m.heapUsed - before.heap) / n,
    rssMiB: m.rss / 2 ** 20,
    descriptors: descriptors(),
    ...(openLinks !== undefined ? { netOpen: openLinks } : {}),
  });
}

commands(async (command) => {
  if ('build' in command) {
    build = command['build'] as Build;
    await settle();
    const m = process.memoryUsage();
    before = { rss: m.rss, heap: m.heapUsed };
    if (build.variant === 'memory') {
      await buildMemory(build);
      await measure();
    } else {
      tell('serving', await buildTcp(build));
    }
  } else if ('measure' in command) {
    await measure();
  } else if ('rtt' in command) {
    const o = command['rtt'] as { samples: number; fraction: number; size: number; intervalMs: number };
    const log = (m: string) => process.stderr.write(`fleet ${(performance.now() / 1000).toFixed(1)}s: ${m}\n`);
    log('idle probes');
    const idle = await probe(hosts, baselineHost as LeanHost, o.samples);
    log('senders');
    const senders = startSenders(hosts, o.fraction, o.size, o.intervalMs);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sentBefore = senders.sent();
    const t0 = performance.now();
    log(`probes while sending (${senders.sent()} sent)`);
    const sending = await probe(hosts, baselineHost as LeanHost, o.samples, (k) => senders.senders.has(k));
    log('done');
    const sendRate = ((senders.sent() - sentBefore) * 1000) / (performance.now() - t0);
    await senders.stop();
    tell('rtt', { idle, sending, senders: senders.senders.size, sendsPerSecond: sendRate, sendFailures: senders.failures() });
  }
});
