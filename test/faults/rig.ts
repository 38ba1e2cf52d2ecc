import { createServer, type Server } from 'node:net';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { unescapeBytes } from '../../src/at/escape.js';
import { ControlPlane } from '../../src/control/plane.js';
import { controlledModem, type ControlTarget } from '../../src/control/target.js';
import { wordsToArgs } from '../../src/control/params.js';
import { verbNamed } from '../../src/control/verbs.js';
import { FakeClock } from '../../src/emulator/clock.js';
import type { ConfigOverrides } from '../../src/emulator/config.js';
import { socketService } from '../../src/emulator/links.js';
import { RealNetwork } from '../../src/emulator/network/real.js';
import type { Network } from '../../src/emulator/network/types.js';
import { startPeers, type Peers } from '../emulator/datamode-rig.js';
import { ScriptedNetwork } from '../emulator/sockets-scripted-network.js';
import { linePort } from '../control/rig.js';
import type { Action, HostPort } from '../support/transcript-runner.js';
import { CountingNetwork } from './counting-network.js';

/**
 * The fault rig: a modem wired as `a76xx emulate` wires it (its network inside the simulated
 * network the control plane injects faults into, its output on an AtLine), with every fault
 * reachable from a transcript. Two flavours:
 *
 * - `realFaultRig`: the real network on 127.0.0.1 with the loopback peers and clients of
 *   test/emulator/datamode-rig.ts (their variables and actions), plus
 *     ${BUSY_TCP_PORT}  a TCP port this test listens on (nobody else may bind it)
 *     ${BUSY_UDP_PORT}  a UDP port this test has bound
 *   Hosts: `server.test` is 127.0.0.1 in the static host table.
 * - `scriptedFaultRig`: a FakeClock and the ScriptedNetwork of test/emulator (its actions), plus
 *     ! advance MS [quiet]    move the clock (`quiet`: nothing may be printed meanwhile)
 *
 * Actions of both:
 *   ! ctl VERB WORDS…          a control verb, in process, as `a76xx ctl VERB WORDS…` runs it
 *   ! ctl-when TEXT VERB WORDS… arm: the moment the module prints TEXT (escapes allowed, no
 *                              spaces: `\x20`), run the verb — in the middle of what it prints
 *   ! link-gone N              wait until link N's slot is free (the module noticed a peer's end)
 *   ! open-handles TCP UDP LISTENERS   the sockets the module holds now (CountingNetwork)
 *   ! reboot
 */
export interface FaultRig {
  readonly target: ControlTarget;
  readonly counting: CountingNetwork;
  readonly vars: Record<string, number>;
  readonly actions: Record<string, Action>;
  /** The AT port, as the transports serve it. */
  readonly port: HostPort;
  close(): Promise<void>;
}

export const HOSTS: ReadonlyMap<string, string> = new Map([['server.test', '127.0.0.1']]);
const WAIT_MS = 3000;

export interface RealFaultRig extends FaultRig {
  readonly peers: Peers;
}

export interface RealFaultRigOptions {
  readonly config?: ConfigOverrides;
  /** Put a network between the real one and the rest (`vars`: the rig's ports). */
  readonly wrap?: (real: Network, vars: Readonly<Record<string, number>>) => Network;
}

export async function realFaultRig(options: RealFaultRigOptions = {}): Promise<RealFaultRig> {
  const peers = await startPeers();
  const busyTcp = await listenSomewhere();
  const busyUdp = await bindSomewhere();
  const vars = { ...peers.vars, BUSY_TCP_PORT: portOf(busyTcp), BUSY_UDP_PORT: busyUdp.address().port };
  const real = new RealNetwork({ hosts: HOSTS, staticOnly: true });
  const counting = new CountingNetwork(options.wrap?.(real, vars) ?? real);
  const target = controlledModem({ config: { bootUrcs: false, escapeGuardMs: 100, ...options.config }, network: counting });
  return {
    target,
    counting,
    peers,
    vars,
    actions: { ...peers.actions, ...commonActions(target, counting) },
    port: linePort(target.line),
    async close() {
      target.modem.reboot(); // closes whatever the transcript left open
      target.line.detach();
      peers.close();
      busyTcp.close();
      busyUdp.close();
    },
  };
}

export interface ScriptedFaultRig extends FaultRig {
  readonly clock: FakeClock;
  readonly network: ScriptedNetwork;
}

export function scriptedFaultRig(options: { config?: ConfigOverrides } = {}): ScriptedFaultRig {
  const clock = new FakeClock();
  const network = new ScriptedNetwork();
  const counting = new CountingNetwork(network);
  const target = controlledModem({ config: { bootUrcs: false, ...options.config }, clock, network: counting });
  let printed = 0;
  target.line.on('output', (bytes: Buffer) => (printed += bytes.length));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    target,
    counting,
    clock,
    network,
    vars: {},
    actions: {
      ...network.actions(),
      ...commonActions(target, counting),
      advance: async ([ms, quiet]) => {
        const before = printed;
        clock.advance(Number(ms));
        await settle();
        if (quiet === 'quiet' && printed !== before) throw new Error(`output while advancing ${ms} ms`);
      },
    },
    port: linePort(target.line),
    async close() {
      target.modem.reboot();
      target.line.detach();
    },
  };
}

function commonActions(target: ControlTarget, counting: CountingNetwork): Record<string, Action> {
  const plane = new ControlPlane();
  plane.add(target);
  const run = (verb: string, words: readonly string[]) => plane.invoke(target.id, verb, wordsToArgs(verbNamed(verb).params, words));
  return {
    ctl: async ([verb, ...words]) => {
      await run(verb as string, words);
    },
    'ctl-when': ([text, verb, ...words]) => {
      const needle = unescapeBytes(text as string);
      const watch = (bytes: Buffer): void => {
        if (!bytes.includes(needle)) return;
        target.line.off('output', watch);
        // Runs the verb before the module prints anything more (invoke starts it synchronously).
        void run(verb as string, words);
      };
      target.line.on('output', watch);
    },
    'link-gone': async ([n]) => {
      const deadline = Date.now() + WAIT_MS;
      while (socketService(target.modem).links[Number(n)] !== undefined) {
        if (Date.now() > deadline) throw new Error(`link ${n} is still in use after ${WAIT_MS} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    'open-handles': ([tcp, udp, listeners]) => {
      const want = { tcp: Number(tcp), udp: Number(udp), listeners: Number(listeners) };
      const got = { ...counting.open };
      if (got.tcp !== want.tcp || got.udp !== want.udp || got.listeners !== want.listeners) {
        throw new Error(`open handles ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
    },
    reboot: () => target.modem.reboot(),
  };
}

/** A TCP port held by this test on 127.0.0.1. */
function listenSomewhere(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** A UDP port held by this test on 127.0.0.1. */
function bindSomewhere(): Promise<DgramSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('not listening');
  return address.port;
}
