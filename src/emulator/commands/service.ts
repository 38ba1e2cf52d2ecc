import { isIP, isIPv4 } from 'node:net';
import { Err, IpErr } from '../../at/errors.js';
import { formatCipClose, formatNetClose, formatNetOpen } from '../../at/frames/index.js';
import { ParamError } from '../../at/params.js';
import type { ModemState } from '../state.js';
import { defaultIpState } from '../state.js';
import { csStat, isRegisteredStat } from '../radio/registration.js';
import type { CommandContext, CommandTable, Handler, Outcome } from './types.js';
import { ERROR, OK } from './types.js';

/**
 * The TCP/IP service switches and settings (spec §2.2.1–2.2.2, §2.2.7–2.2.13, §2.2.18):
 * NETOPEN/NETCLOSE, IPADDR and the configuration registers the socket commands read.
 */

/** Whether the simulated PDP context can come up: SIM ready, full functionality, registered, not refused. */
export function pdpAvailable(state: ModemState): boolean {
  return isRegisteredStat(csStat(state)) && state.pdp.has(1) && state.faults.netopen !== 'async';
}

const netopen: Handler = (ctx) => {
  const ip = ctx.state.ip;
  if (ip.net === 'open' || ip.net === 'opening') return ctx.ipError(IpErr.AlreadyOpened);
  if (ip.net === 'closing') return ERROR;
  // A bare ERROR, even with CMEE=2: what real modules print without coverage or with the PDP
  // context rejected (LilyGo-Modem-Series#471, T-SIM7600X#90; spec §2.2.1). `ctl netopen-fail`.
  if (ctx.state.faults.netopen === 'error') return ERROR;
  const modem = ctx.modem;
  modem.sockets.startNetOpen(() => pdpAvailable(modem.state) && modem.network?.available !== false);
  return OK;
};

/**
 * NETCLOSE (spec §2.2.2): UDP links print `+CIPCLOSE: <n>,0` before OK, TCP links after it, then
 * `+NETCLOSE: 0` once the service is down. Links still opening report `+CIPOPEN: <n>,1`.
 */
const netclose: Handler = (ctx) => {
  const ip = ctx.state.ip;
  if (ip.net === 'closed') return ctx.failWith(formatNetClose(Err.NetworkNotOpened));
  if (ip.net !== 'open') return ERROR;
  const service = ctx.modem.sockets;
  for (const link of [...service.links]) {
    if (link === undefined) continue;
    const wasOpen = link.state === 'open';
    service.closeByHost(link);
    if (!wasOpen) continue;
    if (link.type === 'TCP') ctx.modem.urc(formatCipClose(link.index, Err.Ok));
    else ctx.info(formatCipClose(link.index, Err.Ok));
  }
  service.finishNetClose();
  return OK;
};

const ipaddr: Handler = (ctx) => {
  if (ctx.state.ip.net === 'open') {
    ctx.info(`+IPADDR: ${ctx.modem.config.localIp}`);
    return OK;
  }
  // Manual form (+IP ERROR, honours errMode) or the application note's (spec §6 #11, Q9).
  if (ctx.modem.dialect.ipaddrClosedPrefix === '+IP ERROR') return ctx.ipError(IpErr.NetworkNotOpened);
  return ctx.failWith('+IPADDR: Network not opened');
};

/** A 0/1 register with the four forms of CIPHEAD/CIPSRIP/CIPMODE (exec restores `execValue`). */
function switchRegister(
  name: string,
  get: (ctx: CommandContext) => number,
  set: (ctx: CommandContext, value: number) => Outcome,
  execValue?: number,
) {
  return {
    set: (ctx: CommandContext) => set(ctx, ctx.params.atMost(1).int(0, { min: 0, max: 1 })),
    read: (ctx: CommandContext) => {
      ctx.info(`${name}: ${get(ctx)}`);
      return OK;
    },
    test: (ctx: CommandContext) => {
      ctx.info(`${name}: (0-1)`);
      return OK;
    },
    ...(execValue !== undefined ? { exec: (ctx: CommandContext) => set(ctx, execValue) } : {}),
  };
}

/** A 0/1 register of the IP settings that takes any value at any time (CIPHEAD, CIPSRIP, CIPSENDMODE). */
function plainIpSwitch(name: string, key: 'ciphead' | 'cipsrip' | 'cipsendmode', execValue?: number) {
  return switchRegister(
    name,
    (ctx) => ctx.state.ip[key],
    (ctx, v) => {
      ctx.state.ip[key] = v;
      return OK;
    },
    execValue,
  );
}

const TIMEOUT_RANGE = { min: 3000, max: 120000 };

const ciptimeout: Handler = (ctx) => {
  const p = ctx.params.atMost(3);
  const t = ctx.state.ip.timeouts;
  const netopenMs = p.int(0, TIMEOUT_RANGE, t.netopen);
  const cipopenMs = p.int(1, TIMEOUT_RANGE, t.cipopen);
  const cipsendMs = p.int(2, TIMEOUT_RANGE, t.cipsend);
  ctx.state.ip.timeouts = { netopen: netopenMs, cipopen: cipopenMs, cipsend: cipsendMs };
  return OK;
};

/** CIPCCFG ranges per family (spec §2.2.13, §8): A76XX has 8 values and Ack fixed 0. */
function ccfgRanges(ctx: CommandContext) {
  const seven = ctx.modem.dialect.cipccfgValues === 7;
  return {
    count: ctx.modem.dialect.cipccfgValues,
    ack: { min: 0, max: seven ? 1 : 0 },
    test: seven
      ? '+CIPCCFG: (0-10),(0-1000),(0-1),(0-1),(0-1),(0-1),(500-120000)'
      : '+CIPCCFG: (0-10),(0-1000),(0),(0-1),(0-1),(0-1),(500-120000),(0-1)',
  };
}

const cipccfgSet: Handler = (ctx) => {
  const ranges = ccfgRanges(ctx);
  const p = ctx.params.atMost(ranges.count);
  const c = ctx.state.ip.ccfg;
  const next = {
    nmRetry: p.int(0, { min: 0, max: 10 }, c.nmRetry),
    delayTm: p.int(1, { min: 0, max: 1000 }, c.delayTm),
    ack: p.int(2, ranges.ack, c.ack),
    errMode: p.int(3, { min: 0, max: 1 }, c.errMode),
    headerType: p.int(4, { min: 0, max: 1 }, c.headerType),
    asyncMode: p.int(5, { min: 0, max: 1 }, c.asyncMode),
    timeoutVal: p.int(6, { min: 500, max: 120000 }, c.timeoutVal),
    udpRecvMode: ranges.count > 7 ? p.int(7, { min: 0, max: 1 }, c.udpRecvMode) : c.udpRecvMode,
  };
  // udpRecvmode is to be set before NETOPEN (spec §2.2.13).
  if (next.udpRecvMode !== c.udpRecvMode && ctx.state.ip.net !== 'closed') return ERROR;
  ctx.state.ip.ccfg = next;
  return OK;
};

const cipccfgRead: Handler = (ctx) => {
  const c = ctx.state.ip.ccfg;
  const values = [c.nmRetry, c.delayTm, c.ack, c.errMode, c.headerType, c.asyncMode, c.timeoutVal, c.udpRecvMode];
  ctx.info(`+CIPCCFG: ${values.slice(0, ccfgRanges(ctx).count).join(',')}`);
  return OK;
};

/**
 * AT+CIPCFG="transwaittm",<5-1000> | "DATAECHO",<ON|OFF> | "CID",<1|6> (spec §2.2.18). "CID" is
 * undocumented (a driver sends it): accepted, no effect. Read and test forms are not documented
 * anywhere we found, so they answer ERROR.
 */
const cipcfgSet: Handler = (ctx) => {
  const p = ctx.params.atMost(2);
  const name = p.text(0).toUpperCase();
  switch (name) {
    case 'TRANSWAITTM':
      ctx.state.ip.transWaitMs = p.int(1, { min: 5, max: 1000 });
      return OK;
    case 'DATAECHO':
      ctx.state.ip.dataEcho = p.oneOf(1, ['ON', 'OFF'] as const) === 'ON';
      return OK;
    case 'CID': {
      const cid = p.int(1, { min: 1, max: 6 });
      return cid === 1 || cid === 6 ? OK : ERROR;
    }
    default:
      return ERROR;
  }
};

const csocksetpnSet: Handler = (ctx) => {
  const p = ctx.params.atMost(2);
  const profile = p.int(0, { min: 1, max: 1 });
  const family = p.int(1, { min: 1, max: 6 }, 1);
  if (family !== 1 && family !== 6) return ERROR;
  if (ctx.state.ip.net !== 'closed') return ERROR;
  ctx.state.ip.socketProfile = [profile, family];
  return OK;
};

const ctcpkaSet: Handler = (ctx) => {
  const p = ctx.params.atMost(4);
  const [, idle, count, interval] = ctx.state.ip.keepalive;
  const on = p.int(0, { min: 0, max: 1 });
  ctx.state.ip.keepalive = [
    on,
    p.int(1, { min: 1, max: 120 }, idle),
    p.int(2, { min: 1, max: 10 }, count),
    p.int(3, { min: 1, max: 100 }, interval),
  ];
  return OK;
};

/**
 * AT+CDNSCFG="<pri>"[,"<sec>"][,<type>] (spec §2.2.18). Stored and shown; name resolution itself
 * goes through the emulator's Network (static host table, then the host's resolver).
 */
const cdnscfgSet: Handler = (ctx) => {
  const p = ctx.params.atMost(3);
  const primary = p.quoted(0);
  const secondary = p.isEmpty(1) ? ctx.state.ip.dns.secondary : p.quoted(1);
  p.int(2, { min: 0, max: 1 }, 0);
  if (!isIP(primary) || !isIP(secondary)) throw new ParamError('not an IP address', 0);
  if (isIPv4(primary) && isIPv4(secondary)) ctx.state.ip.dns = { primary, secondary };
  return OK;
};

/** Read form layout per spec §2.2.18; the IPv6 servers are not modelled (shown as `::`) [INF]. */
const cdnscfgRead: Handler = (ctx) => {
  const { primary, secondary } = ctx.state.ip.dns;
  ctx.info(`Primary IPv4 DNS: ${primary},Secondary IPv4 DNS: ${secondary}`);
  ctx.info('Primary IPv6 DNS: ::,Secondary IPv6 DNS: ::');
  return OK;
};

function readLine(format: (ctx: CommandContext) => string): Handler {
  return (ctx) => {
    ctx.info(format(ctx));
    return OK;
  };
}

/** Set a register unless the service is up (CIPMODE, spec §2.2.10 [INF]). */
function whileClosed(ctx: CommandContext, apply: () => void): Outcome {
  if (ctx.state.ip.net !== 'closed') return ERROR;
  apply();
  return OK;
}

export const serviceCommands: CommandTable = {
  '+NETOPEN': {
    exec: netopen,
    read: readLine((ctx) => formatNetOpen(ctx.state.ip.net === 'open' ? 1 : 0)),
    test: () => OK,
  },
  '+NETCLOSE': { exec: netclose, test: () => OK },
  '+IPADDR': { exec: ipaddr, test: () => OK },
  '+CIPMODE': switchRegister(
    '+CIPMODE',
    (ctx) => ctx.state.ip.cipmode,
    (ctx, v) => whileClosed(ctx, () => (ctx.state.ip.cipmode = v)),
    0,
  ),
  '+CIPHEAD': plainIpSwitch('+CIPHEAD', 'ciphead', 1),
  '+CIPSRIP': plainIpSwitch('+CIPSRIP', 'cipsrip', 1),
  '+CIPSENDMODE': plainIpSwitch('+CIPSENDMODE', 'cipsendmode'),
  '+CIPTIMEOUT': {
    set: ciptimeout,
    read: readLine((ctx) => {
      const t = ctx.state.ip.timeouts;
      return `+CIPTIMEOUT: ${t.netopen},${t.cipopen},${t.cipsend}`;
    }),
  },
  '+CIPCCFG': {
    set: cipccfgSet,
    read: cipccfgRead,
    test: readLine((ctx) => ccfgRanges(ctx).test),
    exec: (ctx) => {
      const defaults = defaultIpState().ccfg;
      if (defaults.udpRecvMode !== ctx.state.ip.ccfg.udpRecvMode && ctx.state.ip.net !== 'closed') return ERROR;
      ctx.state.ip.ccfg = defaults;
      return OK;
    },
  },
  '+CIPCFG': { set: cipcfgSet },
  '+CSOCKSETPN': {
    set: csocksetpnSet,
    read: readLine((ctx) => `+CSOCKSETPN: ${ctx.state.ip.socketProfile.join(',')}`),
  },
  '+CTCPKA': {
    set: ctcpkaSet,
    read: readLine((ctx) => `+CTCPKA: ${ctx.state.ip.keepalive.join(',')}`),
  },
  '+CDNSCFG': { set: cdnscfgSet, read: cdnscfgRead },
};

