import { ALL_BAUD_RATES } from '../emulator/dialect.js';
import { announceSignal } from '../emulator/commands/radio.js';
import {
  announceRegistration,
  autoAttach,
  cpinCode,
  csStat,
  detach,
  isRegisteredStat,
  registrationSnapshot,
  visibleSim,
} from '../emulator/commands/registration.js';
import type { Timer } from '../emulator/clock.js';
import { loseNetwork, socketService, LINK_COUNT } from '../emulator/links.js';
import { SimulatedTcpConnection, type NetworkConditions, type PeerClose, type SimulatedNetwork } from '../emulator/network/simulated.js';
import { URC_TIMINGS, type UrcTiming } from './line.js';
import { ControlError, usageOf, type Args, type JsonObject, type JsonValue, type ParamSpec } from './params.js';
import type { ControlTarget } from './plane.js';
import { statusOf } from './status.js';

/**
 * The control verbs: what a test, `a76xx ctl` or an inspector can do to a running modem, each a
 * function over one modem. The world changes (the network drops, the peer closes, the signal
 * fades); the module reacts as it would, printing its URCs through the usual paths.
 */
export interface VerbSpec {
  readonly name: string;
  readonly summary: string;
  readonly params: readonly ParamSpec[];
  run(target: ControlTarget, args: Args): JsonValue | Promise<JsonValue>;
}

const conflict = (message: string): ControlError => new ControlError('conflict', message);

function simulated(target: ControlTarget, verb: string): SimulatedNetwork {
  if (target.network === undefined) {
    throw new ControlError('unsupported', `${verb} needs the simulated network, and modem ${target.id} has no network`);
  }
  return target.network;
}

function conditionsJson(c: NetworkConditions): JsonValue {
  return { ...c };
}

// ---------------------------------------------------------------- the network

/** Outages with an end scheduled by `network-loss --for`. */
const outageTimers = new WeakMap<ControlTarget, Timer>();

function restore(target: ControlTarget): boolean {
  outageTimers.get(target)?.cancel();
  outageTimers.delete(target);
  const wasDown = target.network?.conditions.down ?? false;
  target.network?.set({ down: false });
  return wasDown;
}

const networkLoss: VerbSpec = {
  name: 'network-loss',
  summary:
    'the PDP context drops: +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY, every link and server dies, NETOPEN? reads 0; ' +
    'the network stays out (NETOPEN fails with +NETOPEN: 1, connects fail) until network-restore, or for MS',
  params: [{ name: 'for', kind: 'int', min: 1, max: 86_400_000, option: true, placeholder: 'MS', help: 'end the outage after this many ms' }],
  run(target, args) {
    const modem = target.modem;
    const service = socketService(modem);
    const net = modem.state.ip.net;
    const links = service.links.flatMap((l, i) => (l === undefined ? [] : [i]));
    outageTimers.get(target)?.cancel();
    outageTimers.delete(target);
    target.network?.set({ down: true });
    loseNetwork(modem);
    const forMs = args.optionalInt('for');
    if (forMs !== undefined && target.network !== undefined) {
      outageTimers.set(
        target,
        modem.clock.setTimeout(() => {
          outageTimers.delete(target);
          target.network?.set({ down: false });
        }, forMs),
      );
    }
    return { net, droppedLinks: links, outage: target.network === undefined ? false : forMs ?? 'until network-restore' };
  },
};

const networkRestore: VerbSpec = {
  name: 'network-restore',
  summary: 'the network is back: NETOPEN works again (the host reopens what it needs; nothing is printed)',
  params: [],
  run: (target) => ({ wasDown: restore(target) }),
};

function peerClose(name: string, how: PeerClose, summary: string): VerbSpec {
  return {
    name,
    summary,
    params: [{ name: 'link', kind: 'int', min: 0, max: LINK_COUNT - 1, placeholder: 'N', help: 'the link number (0-9)' }],
    run(target, args) {
      const index = args.int('link');
      const link = socketService(target.modem).links[index];
      if (link === undefined || link.state !== 'open') throw conflict(`link ${index} is not open`);
      if (link.type !== 'TCP') throw conflict(`link ${index} is ${link.type}: only a TCP peer can close a link`);
      const connection = link.tcp;
      if (!(connection instanceof SimulatedTcpConnection)) {
        throw new ControlError('unsupported', `${name} needs the simulated network under link ${index}`);
      }
      if (!connection.closeByPeer(how)) throw conflict(`link ${index} is already closing`);
      return { link: index, remote: link.remote === undefined ? null : `${link.remote.address}:${link.remote.port}` };
    },
  };
}

const dnsFail: VerbSpec = {
  name: 'dns-fail',
  summary: 'name resolution fails (on) or works (off): CDNSGIP and CIPOPEN by name fail',
  params: [{ name: 'state', kind: 'switch', help: 'on: names stop resolving' }],
  run: (target, args) => conditionsJson(simulated(target, 'dns-fail').set({ dnsFail: args.flag('state') })),
};

const refuse: VerbSpec = {
  name: 'refuse',
  summary: 'new outgoing TCP connections are refused (on: +CIPOPEN: n,1) or accepted (off)',
  params: [{ name: 'state', kind: 'switch', help: 'on: connects are refused' }],
  run: (target, args) => conditionsJson(simulated(target, 'refuse').set({ refuseConnections: args.flag('state') })),
};

const latency: VerbSpec = {
  name: 'latency',
  summary: 'one-way delay of every packet in ms (a connect or a DNS query takes two); 0 for none',
  params: [{ name: 'ms', kind: 'int', min: 0, max: 60_000, help: 'milliseconds each way' }],
  run: (target, args) => conditionsJson(simulated(target, 'latency').set({ latencyMs: args.int('ms') })),
};

const bandwidth: VerbSpec = {
  name: 'bandwidth',
  summary: 'bits per second each way, shared by all sockets; 0 for unlimited',
  params: [{ name: 'bps', kind: 'int', min: 0, max: 10_000_000_000, help: 'bit/s (0: unlimited)' }],
  run: (target, args) => conditionsJson(simulated(target, 'bandwidth').set({ bandwidthBps: args.int('bps') })),
};

// ---------------------------------------------------------------- the radio and the SIM

const csq: VerbSpec = {
  name: 'csq',
  summary: 'signal quality as AT+CSQ reports it; +CSQ: URC when AT+AUTOCSQ=1',
  params: [
    { name: 'rssi', kind: 'int', min: 0, max: 31, also: [99], help: '0-31, 99 unknown' },
    // Without BER: 99 (unknown), what an LTE module reports; not the previous value, which would
    // make `csq 8` mean different things depending on what ran before.
    { name: 'ber', kind: 'int', min: 0, max: 7, also: [99], optional: true, help: '0-7, 99 unknown (the default)' },
  ],
  run(target, args) {
    const radio = target.modem.state.radio;
    radio.rssi = args.int('rssi');
    radio.ber = args.optionalInt('ber') ?? 99;
    announceSignal(target.modem);
    return { rssi: radio.rssi, ber: radio.ber };
  },
};

/** Registration `<stat>` values (spec §2.1.9). */
const REGISTRATION: Readonly<Record<string, number>> = { none: 0, home: 1, searching: 2, denied: 3, unknown: 4, roaming: 5 };

/** After the SIM or the registration changed: detach or attach as the module would, then the URCs. */
function settleRadio(target: ControlTarget, before: ReturnType<typeof registrationSnapshot>, by: 'ME' | 'NW'): void {
  const modem = target.modem;
  if (isRegisteredStat(csStat(modem.state))) autoAttach(modem);
  else detach(modem, by);
  announceRegistration(modem, before);
}

const register: VerbSpec = {
  name: 'register',
  summary:
    'what the network grants: +CREG/+CGREG/+CEREG URCs where enabled; leaving service detaches ' +
    '(+CGEV: NW DETACH, +CIPEVENT), coming back attaches (+CGEV: EPS PDN ACT 1)',
  params: [{ name: 'state', kind: 'choice', choices: Object.keys(REGISTRATION), help: 'registration state' }],
  run(target, args) {
    const state = target.modem.state;
    const before = registrationSnapshot(state);
    state.radio.regStat = REGISTRATION[args.text('state')] as number;
    settleRadio(target, before, 'NW');
    return { regStat: state.radio.regStat, creg: csStat(state), attached: state.attached };
  },
};

const SIM_STATES = ['ready', 'absent', 'pin', 'puk'] as const;

const sim: VerbSpec = {
  name: 'sim',
  summary: 'the SIM: ready, absent (+SIMCARD: NOT AVAILABLE), pin or puk (locked: +CPIN: SIM PIN/PUK)',
  params: [{ name: 'state', kind: 'choice', choices: SIM_STATES, help: 'SIM state' }],
  run(target, args) {
    const modem = target.modem;
    const state = modem.state;
    const radio = state.radio;
    const before = registrationSnapshot(state);
    const wasVisible = visibleSim(state);
    const next = args.text('state') as (typeof SIM_STATES)[number];
    radio.sim = next;
    radio.pinAttempts = next === 'puk' ? 0 : 3;
    if (next !== 'absent') radio.pinLock = next !== 'ready';
    const now = visibleSim(state);
    if (now === 'absent') {
      if (wasVisible !== 'absent') modem.urc('+SIMCARD: NOT AVAILABLE');
    } else if (now !== wasVisible) {
      modem.urc(`+CPIN: ${cpinCode(now)}`);
    }
    settleRadio(target, before, 'ME');
    return { sim: radio.sim, visible: now, attached: state.attached };
  },
};

// ---------------------------------------------------------------- the serial line

const baud: VerbSpec = {
  name: 'baud',
  summary:
    'pace module output at the serial rate (10 bits per byte): RATE sets the module rate (as AT+IPR does) ' +
    'and turns pacing on; on paces at the current rate; off sends at full speed',
  params: [
    {
      name: 'rate',
      kind: 'int',
      placeholder: 'RATE',
      min: Math.min(...ALL_BAUD_RATES),
      max: Math.max(...ALL_BAUD_RATES),
      words: ['on', 'off'],
      help: `a rate of AT+IPR (${ALL_BAUD_RATES.join(', ')}; the dialect's own list applies), on or off`,
    },
  ],
  run(target, args) {
    const value = args.intOrWord('rate');
    const serial = target.modem.state.serial;
    if (typeof value === 'number') {
      const rates = target.modem.dialect.baudRates;
      if (!rates.includes(value)) throw new ControlError('bad-args', `rate must be one of ${rates.join(', ')}`);
      serial.baud = value;
      serial.lineBaud = value;
    }
    target.line.pacer.enabled = value !== 'off';
    return { pacing: target.line.pacer.enabled, lineBaud: serial.lineBaud };
  },
};

const dtr: VerbSpec = {
  name: 'dtr',
  summary: 'the DTR line from the host: on (asserted) or off; what it does follows AT&D',
  params: [{ name: 'state', kind: 'switch', help: 'on: asserted' }],
  run(target, args) {
    target.modem.setDtr(args.flag('state'));
    return { dtr: target.modem.dtr };
  },
};

// ---------------------------------------------------------------- the module

const reboot: VerbSpec = {
  name: 'reboot',
  summary: 'power-cycle the module: every socket drops, power-on state (echo on), boot URCs',
  params: [],
  run(target) {
    target.modem.reboot();
    return { dialect: target.modem.dialect.name };
  },
};

const injectUrc: VerbSpec = {
  name: 'inject-urc',
  summary:
    'print a URC: held (default) as the module does, after any response in progress; now, at once even ' +
    'mid-response; mid-response, right after the first line of the next response',
  params: [
    { name: 'text', kind: 'text', rest: true, maxLength: 4096, help: 'the URC line, without CR LF' },
    { name: 'timing', kind: 'choice', choices: URC_TIMINGS, option: true, help: 'when it reaches the line' },
  ],
  run(target, args) {
    const timing = (args.optionalText('timing') ?? 'held') as UrcTiming;
    target.line.injectUrc(args.text('text'), timing);
    return { timing, held: timing === 'held' && target.modem.holdingUrcs };
  },
};

const status: VerbSpec = {
  name: 'status',
  summary: 'the modem as JSON: PDP, links, servers, buffers, radio, serial line, network conditions, counters',
  params: [],
  run: (target) => statusOf(target),
};

export const VERBS: readonly VerbSpec[] = [
  status,
  networkLoss,
  networkRestore,
  peerClose('close-link', 'close', 'the peer of TCP link N closes it (FIN): +IPCLOSE: N,1'),
  peerClose('reset-link', 'reset', 'the peer of TCP link N resets it (RST): +IPCLOSE: N,1'),
  csq,
  register,
  sim,
  dnsFail,
  refuse,
  latency,
  bandwidth,
  baud,
  dtr,
  reboot,
  injectUrc,
];

export function verbNamed(name: string): VerbSpec {
  const verb = VERBS.find((v) => v.name === name);
  if (verb === undefined) throw new ControlError('unknown-verb', `unknown verb '${name}' (known: ${VERBS.map((v) => v.name).join(', ')})`);
  return verb;
}

/** `csq RSSI [BER]`. */
export function verbUsage(verb: VerbSpec): string {
  return [verb.name, ...verb.params.map(usageOf)].join(' ');
}

/** The verb table as JSON (GET /v1/verbs). */
export function describeVerbs(): JsonValue {
  return VERBS.map((v) => ({
    name: v.name,
    usage: verbUsage(v),
    summary: v.summary,
    params: v.params.map(paramJson),
  }));
}

function paramJson(p: ParamSpec): JsonObject {
  const json: JsonObject = { name: p.name, kind: p.kind, help: p.help, optional: p.optional === true || p.option === true, option: p.option === true };
  switch (p.kind) {
    case 'int':
      return { ...json, min: p.min, max: p.max, also: [...(p.also ?? [])], words: [...(p.words ?? [])] };
    case 'choice':
      return { ...json, choices: [...p.choices] };
    case 'text':
      return { ...json, maxLength: p.maxLength, rest: p.rest === true };
    case 'switch':
      return json;
  }
}
