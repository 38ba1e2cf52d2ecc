import { ALL_BAUD_RATES } from '../emulator/dialect.js';
import { CGACT_REJECT_CAUSES } from '../emulator/radio/faults.js';
import { MCC, MNC, OPERATOR_NAME, accessTechnology, operatorIn } from '../emulator/radio/operator.js';
import { RegStat, csStat, visibleSim } from '../emulator/radio/registration.js';
import { changeAccessTechnology, changeOperator, changeSignal, changeSim, grantRegistration } from '../emulator/radio/world.js';
import { TIMING_NAMES, TIMING_PROFILES, type TimingName } from '../emulator/radio/timing.js';
import { LINK_COUNT } from '../at/limits.js';
import { SimulatedTcpConnection, type NetworkConditions, type PeerClose, type SimulatedNetwork } from '../emulator/network/simulated.js';
import { URC_TIMINGS, type UrcTiming } from './line.js';
import { ControlError, usageOf, type JsonObject, type JsonValue, type ParamSpec } from './params.js';
import type { ControlTarget } from './target.js';
import { statusOf } from './status.js';
import { certExpire, sslHandshakeFail } from './ssl-verbs.js';
import type { VerbSpec } from './verb.js';

/**
 * The control verbs: what a test, `a76xx ctl` or an inspector can do to a running modem, each a
 * function over one modem. The world changes (the network drops, the peer closes, the signal
 * fades); the module reacts as it would, printing its URCs through the usual paths.
 */

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

const networkLoss: VerbSpec = {
  name: 'network-loss',
  summary:
    'the PDP context drops: +CIPEVENT: NETWORK CLOSED UNEXPECTEDLY, every link and server dies, NETOPEN? reads 0; ' +
    'the network stays out (NETOPEN fails with +NETOPEN: 1, connects fail) until network-restore, or for MS',
  params: [{ name: 'for', kind: 'int', min: 1, max: 86_400_000, option: true, placeholder: 'MS', help: 'end the outage after this many ms' }],
  run(target, args) {
    const modem = target.modem;
    const service = modem.sockets;
    const net = modem.state.ip.net;
    const links = service.links.flatMap((l, i) => (l === undefined ? [] : [i]));
    target.outage.begin();
    modem.loseNetwork();
    const forMs = args.optionalInt('for');
    if (forMs !== undefined) target.outage.endAfter(forMs);
    return { net, droppedLinks: links, outage: target.network === undefined ? false : forMs ?? 'until network-restore' };
  },
};

const networkRestore: VerbSpec = {
  name: 'network-restore',
  summary: 'the network is back: NETOPEN works again (the host reopens what it needs; nothing is printed)',
  params: [],
  run: (target) => ({ wasDown: target.outage.restore() }),
};

function peerClose(name: string, how: PeerClose, summary: string): VerbSpec {
  return {
    name,
    summary,
    params: [{ name: 'link', kind: 'int', min: 0, max: LINK_COUNT - 1, placeholder: 'N', help: `the link number (0-${LINK_COUNT - 1})` }],
    run(target, args) {
      const index = args.int('link');
      const link = target.modem.sockets.links[index];
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
    changeSignal(target.modem, args.int('rssi'), args.optionalInt('ber') ?? 99);
    return { rssi: radio.rssi, ber: radio.ber };
  },
};

/** Registration `<stat>` values by name (spec §2.1.9). */
const REGISTRATION: Readonly<Record<string, number>> = {
  none: RegStat.None,
  home: RegStat.Home,
  searching: RegStat.Searching,
  denied: RegStat.Denied,
  unknown: RegStat.Unknown,
  roaming: RegStat.Roaming,
};

const register: VerbSpec = {
  name: 'register',
  summary:
    'what the network grants: +CREG/+CGREG/+CEREG URCs where enabled; leaving service detaches ' +
    '(+CGEV: NW DETACH, +CIPEVENT), coming back attaches (+CGEV: EPS PDN ACT 1)',
  params: [{ name: 'state', kind: 'choice', choices: Object.keys(REGISTRATION), help: 'registration state' }],
  run(target, args) {
    const state = target.modem.state;
    grantRegistration(target.modem, REGISTRATION[args.text('state')] as number);
    return { regStat: state.radio.regStat, creg: csStat(state), attached: state.attached };
  },
};

const SIM_STATES = ['ready', 'absent', 'pin', 'puk', 'busy'] as const;

const sim: VerbSpec = {
  name: 'sim',
  summary:
    'the SIM: ready, absent (+SIMCARD: NOT AVAILABLE), pin or puk (locked: +CPIN: SIM PIN/PUK), or busy ' +
    '(initialising, as after a reset: AT+CPIN? answers +CME ERROR: SIM busy until sim ready prints +CPIN: READY)',
  params: [{ name: 'state', kind: 'choice', choices: SIM_STATES, help: 'SIM state' }],
  run(target, args) {
    const state = target.modem.state;
    changeSim(target.modem, args.text('state') as (typeof SIM_STATES)[number]);
    return { sim: state.radio.sim, visible: visibleSim(state), busy: state.radio.simBusy, attached: state.attached };
  },
};

const operator: VerbSpec = {
  name: 'operator',
  summary:
    'the network the module is on: MCC+MNC (numeric, 5 or 6 digits) and optionally its long and short ' +
    'names, as AT+COPS (every format) and AT+CPSI? print them; kept across reboots',
  params: [
    { name: 'plmn', kind: 'text', maxLength: 6, placeholder: 'MCCMNC', help: 'e.g. 22201 (MCC 222, MNC 01)' },
    { name: 'name', kind: 'text', maxLength: 32, option: true, placeholder: 'NAME', help: 'long name (COPS format 0); default unchanged' },
    { name: 'short', kind: 'text', maxLength: 32, option: true, placeholder: 'NAME', help: 'short name (COPS format 1); default: the long name' },
  ],
  run(target, args) {
    const plmn = args.text('plmn');
    const mcc = plmn.slice(0, 3);
    const mnc = plmn.slice(3);
    if (!MCC.test(mcc) || !MNC.test(mnc)) throw new ControlError('bad-args', `plmn must be 5 or 6 digits (MCC+MNC), not ${plmn}`);
    const op = target.modem.state.radio.operator;
    const longName = args.optionalText('name') ?? op.longName;
    const shortName = args.optionalText('short') ?? args.optionalText('name') ?? op.shortName;
    for (const n of [longName, shortName]) {
      if (!OPERATOR_NAME.test(n)) throw new ControlError('bad-args', `operator names are 1-32 printable characters without '"'`);
    }
    changeOperator(target.modem, { mcc, mnc, longName, shortName });
    return { numeric: operatorIn(op, 2), long: op.longName, short: op.shortName };
  },
};

const rat: VerbSpec = {
  name: 'rat',
  summary:
    'access technology of the serving cell: lte, or gsm (+CPSI: GSM,…, COPS AcT 3, CNSMOD 1, CEREG 0); ' +
    'registration URCs for what changes; kept across reboots',
  params: [{ name: 'technology', kind: 'choice', choices: ['lte', 'gsm'], help: 'lte or gsm' }],
  run(target, args) {
    const modem = target.modem;
    changeAccessTechnology(modem, args.text('technology') as 'lte' | 'gsm');
    return { rat: modem.state.radio.rat, act: accessTechnology(modem.state) };
  },
};

// ---------------------------------------------------------------- failures real modules show

const netopenFail: VerbSpec = {
  name: 'netopen-fail',
  summary:
    'AT+NETOPEN fails: error answers a bare ERROR (what real modules print without coverage or with the PDP ' +
    'context rejected), async answers OK then +NETOPEN: 1; off: it works',
  params: [{ name: 'mode', kind: 'choice', choices: ['error', 'async', 'off'], help: 'how NETOPEN fails' }],
  run(target, args) {
    const state = target.modem.state;
    const mode = args.text('mode');
    state.faults = { ...state.faults, netopen: mode === 'off' ? 'none' : (mode as 'error' | 'async') };
    return { netopen: state.faults.netopen };
  },
};

const cgactReject: VerbSpec = {
  name: 'cgact-reject',
  summary:
    'the network rejects PDP activation (AT+CGACT=1) with an ESM cause: 33 prints +CME ERROR: requested ' +
    'service option not subscribed (#33) then +CGEV: ME PDN DEACT <cid>; off: activations work',
  params: [
    { name: 'cause', kind: 'int', min: Math.min(...CGACT_REJECT_CAUSES), max: Math.max(...CGACT_REJECT_CAUSES), words: ['off'], placeholder: 'CAUSE', help: `ESM cause (${CGACT_REJECT_CAUSES.join(', ')}) or off` },
  ],
  run(target, args) {
    const state = target.modem.state;
    const value = args.intOrWord('cause');
    state.faults = { ...state.faults, cgactCause: typeof value === 'number' ? value : undefined };
    return { cause: state.faults.cgactCause ?? null };
  },
};

// ---------------------------------------------------------------- timing

const timing: VerbSpec = {
  name: 'timing',
  summary:
    'the timing profile: fast (answers at once) or realistic (NETOPEN, NETCLOSE, reboots and the boot ' +
    'sequence take about as long as on a real module); applies from the next command or reboot',
  params: [{ name: 'profile', kind: 'choice', choices: TIMING_NAMES, help: 'fast or realistic' }],
  run(target, args) {
    const profile = TIMING_PROFILES[args.text('profile') as TimingName];
    target.modem.state.timing = profile;
    return { ...profile, boot: { ...profile.boot } };
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
    target.line.pacing = value !== 'off';
    return { pacing: target.line.pacing, lineBaud: serial.lineBaud };
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
  operator,
  rat,
  netopenFail,
  cgactReject,
  timing,
  dnsFail,
  refuse,
  latency,
  bandwidth,
  baud,
  dtr,
  reboot,
  injectUrc,
  sslHandshakeFail,
  certExpire,
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
