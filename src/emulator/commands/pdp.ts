import type { CommandContext, CommandTable, Outcome } from './types.js';
import { ERROR, OK, cme } from './types.js';
import { Cme, cmeText } from '../../at/errors.js';
import { formatCmeError, RESULT_CODES } from '../../at/result-codes.js';
import { ParamError } from '../../at/params.js';
import type { CommandModule } from './context.js';
import type { PdpContext } from '../state.js';
import { CME_OF_ESM_CAUSE } from '../radio/faults.js';
import {
  announceRegistration,
  autoAttach,
  contextAddress,
  detach,
  packetEvent,
  registrationSnapshot,
  visibleSim,
} from '../radio/registration.js';

const CID = { min: 1, max: 15 };
const PDP_TYPES = ['IP', 'IPV6', 'IPV4V6'] as const;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** The LTE default bearer: up while attached, not (de)activated by hand (spec §2.1.16). */
const DEFAULT_BEARER = 1;

function definedContexts(ctx: CommandContext): PdpContext[] {
  return [...ctx.state.pdp.values()].sort((a, b) => a.cid - b.cid);
}

/**
 * The address AT+CGDCONT? shows: A76XX the assigned one while active; SIM7600 always what was
 * written. No address written: the dialect's zero form (spec §2.1.15, §8).
 */
function shownAddress(modem: CommandModule, context: PdpContext): string {
  const dialect = modem.dialect;
  if (context.active && dialect.cgdcontAddress === 'assigned') return contextAddress(modem, context.cid);
  if (context.address !== '') return context.address;
  return dialect.cgdcontEmptyAddress === 'type-zeros' && context.type !== 'IP' ? IPV6_ZEROS : '0.0.0.0';
}

/** The SIM7600's unspecified IPv6 address: sixteen dotted zero octets (T-SIM7600X#90). */
const IPV6_ZEROS = Array.from({ length: 16 }, () => '0').join('.');

/** The `<cid>` parameters from index `first` on. */
function cids(ctx: CommandContext, first: number): number[] {
  const list: number[] = [];
  for (let i = first; i < ctx.params.count; i++) list.push(ctx.params.int(i, CID));
  return list;
}

// ---------------------------------------------------------------- CGDCONT

function cgdcontSet(ctx: CommandContext): Outcome {
  const params = ctx.params.atMost(8);
  const cid = params.int(0, CID);
  const existing = ctx.state.pdp.get(cid);
  if (params.count === 1) {
    // `AT+CGDCONT=<cid>` undefines the context; not while it carries traffic.
    if (existing?.active === true) return cme(Cme.NotAllowed);
    ctx.state.pdp.delete(cid);
    return OK;
  }
  const type = params.isEmpty(1) ? (existing?.type ?? 'IP') : params.quoted(1).toUpperCase();
  if (!(PDP_TYPES as readonly string[]).includes(type)) throw new ParamError(`PDP type ${type}`, 1);
  const apn = params.quoted(2, '');
  const address = params.quoted(3, '');
  if (type === 'IP' && address !== '' && !IPV4.test(address)) throw new ParamError(`address ${address}`, 3);
  const context: PdpContext = {
    cid,
    type,
    apn,
    address,
    dComp: params.int(4, { min: 0, max: 2 }, 0),
    hComp: params.int(5, { min: 0, max: 1 }, 0),
    ipv4Ctrl: params.int(6, { min: 0, max: 1 }, 0),
    requestType: params.int(7, { min: 0, max: 2 }, 0),
    active: existing?.active ?? false,
  };
  if (existing?.auth !== undefined) context.auth = existing.auth;
  ctx.state.pdp.set(cid, context);
  return OK;
}

/** A76XX ends the read line with four empty fields, SIM7600 with `<ipv4_ctrl>,<request_type>` (spec §8). */
function cgdcontLine(ctx: CommandContext, c: PdpContext): string {
  const head = `+CGDCONT: ${c.cid},"${c.type}","${c.apn}","${shownAddress(ctx.modem, c)}",${c.dComp},${c.hComp}`;
  return ctx.modem.dialect.cgdcontTail === 'ipv4-ctrl' ? `${head},${c.ipv4Ctrl ?? 0},${c.requestType ?? 0}` : `${head},,,,`;
}

// ---------------------------------------------------------------- CGACT / CGATT

/** Why the packet domain is out of reach, as the module reports it. */
function attachFailure(ctx: CommandContext): Outcome {
  const sim = visibleSim(ctx.state);
  if (sim === 'absent') return cme(Cme.SimNotInserted);
  if (ctx.state.radio.simBusy) return cme(Cme.SimBusy);
  if (sim === 'pin') return cme(Cme.SimPinRequired);
  if (sim === 'puk') return cme(Cme.SimPukRequired);
  return cme(Cme.NoNetworkService);
}

function cgactSet(ctx: CommandContext): Outcome {
  const modem = ctx.modem;
  const state = ctx.state;
  const activate = ctx.params.int(0, { min: 0, max: 1 }) === 1;
  const listed = cids(ctx, 1);
  if (listed.some((cid) => !state.pdp.has(cid))) return ERROR;
  const targets = listed.length > 0 ? listed : definedContexts(ctx).map((c) => c.cid);
  if (!activate) {
    // The default bearer stays up while attached: real A7670 answers `unknown error` (Traccar#3).
    if (state.attached && targets.includes(DEFAULT_BEARER)) return cme(Cme.Unknown);
    for (const cid of targets) {
      const context = state.pdp.get(cid) as PdpContext;
      if (!context.active) continue;
      context.active = false;
      packetEvent(modem, `ME PDN DEACT ${cid}`);
    }
    return OK;
  }
  const before = registrationSnapshot(state);
  if (!autoAttach(modem)) return attachFailure(ctx);
  announceRegistration(modem, before);
  const cause = state.faults.cgactCause;
  const inactive = targets.filter((cid) => state.pdp.get(cid)?.active === false);
  if (cause !== undefined && inactive.length > 0) return rejectedActivation(ctx, inactive, cause);
  for (const cid of targets) {
    const context = state.pdp.get(cid) as PdpContext;
    if (context.active) continue;
    context.active = true;
    packetEvent(modem, `ME PDN ACT ${cid}`);
  }
  return OK;
}

/**
 * The network refused the activation (`ctl cgact-reject CAUSE`): the CME error of the ESM cause,
 * verbose with the cause appended as a real A7670E prints it — `+CME ERROR: requested service
 * option not subscribed (#33)` then `+CGEV: ME PDN DEACT 1` (LilyGo-Modem-Series#178, spec §5.4).
 * Contexts already active stay so (asking for them again needs no network).
 */
function rejectedActivation(ctx: CommandContext, inactive: readonly number[], cause: number): Outcome {
  const code = CME_OF_ESM_CAUSE[cause] ?? Cme.Unknown;
  for (const cid of inactive) packetEvent(ctx.modem, `ME PDN DEACT ${cid}`);
  const cmee = ctx.state.serial.cmee;
  if (cmee !== 2) return cme(code);
  return { kind: 'result', text: formatCmeError(`${cmeText(code)} (#${cause})`), numeric: RESULT_CODES.ERROR };
}

function cgattSet(ctx: CommandContext): Outcome {
  const modem = ctx.modem;
  const attach = ctx.params.atMost(1).int(0, { min: 0, max: 1 }) === 1;
  const before = registrationSnapshot(ctx.state);
  if (attach) {
    if (!autoAttach(modem)) return attachFailure(ctx);
  } else {
    detach(modem, 'ME');
  }
  announceRegistration(modem, before);
  return OK;
}

// ---------------------------------------------------------------- CGPADDR

/**
 * `+CGPADDR: <cid>,<addr>`; the emulated network gives no IPv6 address, so an IPV6 context shows
 * none (27.007 omits unavailable addresses) and an IPV4V6 one only its IPv4 address.
 */
function cgpaddrLine(ctx: CommandContext, c: PdpContext): string {
  if (c.type === 'IPV6') return `+CGPADDR: ${c.cid}`;
  return `+CGPADDR: ${c.cid},${c.active ? contextAddress(ctx.modem, c.cid) : '0.0.0.0'}`;
}

function cgpaddrFor(ctx: CommandContext, contexts: readonly PdpContext[]): Outcome {
  for (const c of contexts) ctx.info(cgpaddrLine(ctx, c));
  return OK;
}

// ---------------------------------------------------------------- CGAUTH

const AUTH_TYPES = { min: 0, max: 2 };

function cgauthSet(ctx: CommandContext): Outcome {
  const params = ctx.params.atMost(4);
  const cid = params.int(0, CID);
  const context = ctx.state.pdp.get(cid);
  if (context === undefined) return ERROR;
  // The A76XX order: password before user (spec §2.1.16).
  const type = params.int(1, AUTH_TYPES, 0);
  const password = params.quoted(2, '');
  const user = params.quoted(3, '');
  if (type === 0 && params.count <= 2) delete context.auth;
  else context.auth = { type, password, user };
  return OK;
}

/**
 * AT+CGSOCKCONT and AT+CSOCKAUTH: the SIM5360/SIM7600-era names of the socket PDP context and its
 * authentication, which TinyGSM's SIM5360 class (used with SIM7600 and A76XX boards) sends; here
 * the same contexts as AT+CGDCONT / AT+CGAUTH, read back under their own prefix [INF: no A76XX
 * log of them; the SIM7600 manual describes them as those contexts].
 */
function renamed(line: string, from: string, to: string): string {
  return line.startsWith(from) ? to + line.slice(from.length) : line;
}

export const pdpCommands: CommandTable = {
  '+CGDCONT': {
    set: cgdcontSet,
    read: (ctx) => {
      for (const c of definedContexts(ctx)) ctx.info(cgdcontLine(ctx, c));
      return OK;
    },
    test: (ctx) => {
      for (const type of PDP_TYPES) ctx.info(`+CGDCONT: (1-15),"${type}",,,(0-2),(0-1),(0-1),(0-2)`);
      return OK;
    },
  },
  '+CGACT': {
    set: cgactSet,
    read: (ctx) => {
      for (const c of definedContexts(ctx)) ctx.info(`+CGACT: ${c.cid},${c.active ? 1 : 0}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CGACT: (0,1)');
      return OK;
    },
  },
  '+CGATT': {
    set: cgattSet,
    read: (ctx) => {
      ctx.info(`+CGATT: ${ctx.state.attached ? 1 : 0}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CGATT: (0-1)');
      return OK;
    },
  },
  '+CGPADDR': {
    exec: (ctx) => cgpaddrFor(ctx, definedContexts(ctx)),
    set: (ctx) => {
      const listed = cids(ctx, 0);
      const contexts = listed.map((cid) => ctx.state.pdp.get(cid));
      if (listed.length === 0 || contexts.some((c) => c === undefined)) return ERROR;
      return cgpaddrFor(ctx, contexts as PdpContext[]);
    },
    test: (ctx) => {
      ctx.info(`+CGPADDR: (${definedContexts(ctx).map((c) => c.cid).join(',')})`);
      return OK;
    },
  },
  '+CGAUTH': {
    set: cgauthSet,
    read: (ctx) => {
      for (const c of definedContexts(ctx)) {
        const auth = c.auth ?? { type: 0, password: '', user: '' };
        ctx.info(`+CGAUTH: ${c.cid},${auth.type},"${auth.password}","${auth.user}"`);
      }
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CGAUTH: (1-15),(0-2)');
      return OK;
    },
  },
  '+CGSOCKCONT': {
    set: cgdcontSet,
    read: (ctx) => {
      for (const c of definedContexts(ctx)) ctx.info(renamed(cgdcontLine(ctx, c), '+CGDCONT', '+CGSOCKCONT'));
      return OK;
    },
    test: (ctx) => {
      for (const type of PDP_TYPES) ctx.info(`+CGSOCKCONT: (1-15),"${type}",,,(0-2),(0-1),(0-1),(0-2)`);
      return OK;
    },
  },
  '+CSOCKAUTH': {
    set: cgauthSet,
    read: (ctx) => {
      for (const c of definedContexts(ctx)) {
        const auth = c.auth ?? { type: 0, password: '', user: '' };
        ctx.info(`+CSOCKAUTH: ${c.cid},${auth.type},"${auth.password}","${auth.user}"`);
      }
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CSOCKAUTH: (1-15),(0-2)');
      return OK;
    },
  },
  '+CGEREP': {
    // Execute form: back to the default (2,0) (A76XX manual §5.2.15).
    exec: (ctx) => {
      ctx.state.radio.cgerep = [2, 0];
      return OK;
    },
    set: (ctx) => {
      const params = ctx.params.atMost(2);
      ctx.state.radio.cgerep = [params.int(0, { min: 0, max: 2 }), params.int(1, { min: 0, max: 1 }, 0)];
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+CGEREP: ${ctx.state.radio.cgerep[0]},${ctx.state.radio.cgerep[1]}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CGEREP: (0-2),(0-1)');
      return OK;
    },
  },
};
