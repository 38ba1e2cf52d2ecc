/**
 * The hosts of the TCP fleet bench, in a process of their own: one TCP connection to each modem's
 * AT port (`basePort + i`), bring-up of a link to the sink on each, then the same round-trip probes
 * and senders as the in-memory variant, against a trivial OK responder in the fleet process.
 *
 *   {"connect":{n,basePort,responderPort,sinkPort,bringUp}}  → @{"connected":{…}}
 *   {"rtt":{samples,fraction,size,intervalMs}}               → @{"rtt":{…}}
 */
import { connect, type Socket } from 'node:net';
import { commands, tell } from '../lib/child.js';
import { inBatches, LeanHost, probe, startSenders } from '../lib/lean-host.js';

const hosts: LeanHost[] = [];
let baselineHost: LeanHost | undefined;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

commands(async (command) => {
  if ('connect' in command) {
    const o = command['connect'] as { n: number; basePort: number; responderPort: number; sinkPort: number; bringUp: boolean };
    baselineHost = new LeanHost(await open(o.responderPort));
    const slots: LeanHost[] = new Array<LeanHost>(o.n);
    await inBatches(
      Array.from({ length: o.n }, (_, i) => i),
      256,
      async (i) => {
        const host = new LeanHost(await open(o.basePort + i));
        slots[i] = host;
        if (o.bringUp) await host.openLink(o.sinkPort);
      },
    );
    hosts.push(...slots);
    tell('connected', { n: hosts.length });
  } else if ('rtt' in command) {
    const o = command['rtt'] as { samples: number; fraction: number; size: number; intervalMs: number };
    const idle = await probe(hosts, baselineHost as LeanHost, o.samples);
    const senders = startSenders(hosts, o.fraction, o.size, o.intervalMs);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sentBefore = senders.sent();
    const t0 = performance.now();
    const sending = await probe(hosts, baselineHost as LeanHost, o.samples, (k) => senders.senders.has(k));
    const sendRate = ((senders.sent() - sentBefore) * 1000) / (performance.now() - t0);
    await senders.stop();
    tell('rtt', { idle, sending, senders: senders.senders.size, sendsPerSecond: sendRate, sendFailures: senders.failures() });
  }
});
