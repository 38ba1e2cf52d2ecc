import { Err, IpErr } from '../../at/errors.js';
import { formatCipClose, formatCipError, formatCipOpen, formatCipSend } from '../../at/frames/index.js';
import { ParamError, type Params } from '../../at/params.js';
import { LINK_COUNT, type Link, type LinkType } from '../links.js';
import { openTransparent } from './datamode.js';
import { openLink, type OpenRequest } from './open-link.js';
import type { Endpoint } from '../network/types.js';
import type { CommandContext, CommandTable, Handler, Outcome } from './types.js';
import type { CommandSockets } from './context.js';
import { ERROR, NONE, OK } from './types.js';

/**
 * Client sockets (spec §2.2.3, §2.2.4, §2.2.6, §2.2.16, §2.2.18): AT+CIPOPEN, AT+CIPSEND,
 * AT+CIPCLOSE, AT+CIPACK, AT+CIPSENDSTR.
 */

/** Any decimal the syntax allows; range errors get the command's own error line. */
const ANY_NUMBER = { min: 0, max: 9_999_999_999 };
const PORT = { min: 1, max: 65535 };
const LOCAL_PORT = { min: 0, max: 65535 };
import { MAX_SEND } from '../../at/limits.js';
/** AT+CIPSENDSTR: at most 500 hex characters (spec §2.2.18). */
const MAX_SENDSTR_HEX = 500;

function parseOpen(ctx: CommandContext, index: number): OpenRequest {
  const p = ctx.params;
  if (p.count < 2 || p.count > 5) throw new ParamError('2 to 5 parameters', 0);
  const types: readonly LinkType[] = ctx.modem.dialect.linkTypes;
  const type = p.oneOf(1, types);
  const hasPeer = !p.isEmpty(2) || !p.isEmpty(3);
  if (type === 'TCP') {
    return { index, type, host: hostParam(p, 2), port: p.int(3, PORT), localPort: p.int(4, LOCAL_PORT, 0) };
  }
  // UDP needs its local port; a fixed peer is optional (UDPSERVER has none) (spec §2.2.3).
  const localPort = p.int(4, LOCAL_PORT);
  if (!hasPeer) return { index, type, localPort };
  if (type === 'UDPSERVER') throw new ParamError('UDPSERVER takes no peer', 2);
  return { index, type, host: hostParam(p, 2), port: p.int(3, PORT), localPort };
}

function hostParam(p: Params, i: number): string {
  const host = p.quoted(i);
  if (host === '' || host.length > 255) throw new ParamError('bad host', i);
  return host;
}

const cipopenSet: Handler = async (ctx) => {
  const index = ctx.params.int(0, ANY_NUMBER);
  if (index >= LINK_COUNT) return ctx.ipError(IpErr.InvalidParameter);
  const fail = (err: number) => ctx.failWith(formatCipOpen(index, err));
  let request: OpenRequest;
  try {
    request = parseOpen(ctx, index);
  } catch (err) {
    if (err instanceof ParamError) return fail(Err.WrongParameter);
    throw err;
  }
  const ip = ctx.state.ip;
  if (ip.cipmode === 1 && index !== 0) return fail(Err.WrongParameter);
  if (ip.net !== 'open') return fail(Err.NetworkNotOpened);
  if (ctx.modem.sockets.links[index] !== undefined) return fail(Err.NotSupported);
  if (ip.cipmode === 1) return openTransparent(ctx, request);
  const modem = ctx.modem;
  if (request.type === 'TCP') {
    void openLink(modem, request).then((err) => {
      if (err !== undefined) modem.urc(formatCipOpen(index, err));
    });
    return OK;
  }
  const err = await openLink(modem, request);
  if (err === undefined) return NONE;
  ctx.info(formatCipOpen(index, err));
  return err === Err.Ok ? OK : ERROR;
};

/**
 * One CIPOPEN? line. A UDP link without a fixed peer has no documented form (spec §2.2.3, Q12);
 * we show the last destination it sent to, or `"0.0.0.0",<local port>` before any send [INF].
 */
function describeLink(index: number, link: Link | undefined): string {
  if (link === undefined || link.state !== 'open') return `+CIPOPEN: ${index}`;
  const peer: Endpoint = link.remote ?? link.lastDestination ?? { address: '0.0.0.0', port: link.localPort };
  return `+CIPOPEN: ${index},"${link.type}","${peer.address}",${peer.port},${link.serverIndex}`;
}

const cipopenRead: Handler = (ctx) => {
  const service = ctx.modem.sockets;
  service.links.forEach((link, index) => ctx.info(describeLink(index, link)));
  return OK;
};

const cipopenTest: Handler = (ctx) => {
  const types = `(${ctx.modem.dialect.linkTypes.map((type) => `"${type}"`).join(',')})`;
  ctx.info(`+CIPOPEN: (0-${LINK_COUNT - 1}),${types}`);
  return OK;
};

/** The link a send goes to, or the `+CIPERROR:` code that refuses it. */
function sendableLink(ctx: CommandContext, service: CommandSockets, index: number): Link | number {
  if (index >= LINK_COUNT) return Err.WrongParameter;
  const link = service.openLink(index);
  if (link === undefined || link.transparent) return ctx.modem.dialect.deadLinkErr;
  if (link.pendingSend !== undefined) return Err.Busy;
  return link;
}

interface SendForm {
  /** Fixed length, or undefined for Ctrl-Z-terminated input. */
  readonly length: number | undefined;
  readonly destination: { host: string; port: number } | undefined;
}

/** `<link>[,<length>[,<ip>,<port>]]`, with the trailing commas TCP tolerates (spec §2.2.4). */
function parseSend(p: Params): SendForm {
  if (p.count > 4) throw new ParamError('at most 4 parameters', 4);
  const length = p.isEmpty(1) ? undefined : p.int(1, { min: 1, max: MAX_SEND });
  if (p.isEmpty(2) && p.isEmpty(3)) return { length, destination: undefined };
  return { length, destination: { host: hostParam(p, 2), port: p.int(3, PORT) } };
}

const cipsendSet: Handler = async (ctx) => {
  const index = ctx.params.int(0, ANY_NUMBER);
  const fail = (err: number) => ctx.failWith(formatCipError(err));
  let form: SendForm;
  try {
    form = parseSend(ctx.params);
  } catch (err) {
    if (err instanceof ParamError) return fail(Err.WrongParameter);
    throw err;
  }
  const service = ctx.modem.sockets;
  const link = sendableLink(ctx, service, index);
  if (typeof link === 'number') return fail(link);
  let destination: Endpoint | undefined;
  if (form.destination !== undefined) {
    if (link.type === 'TCP') return fail(Err.WrongParameter);
    if (service.network === undefined) return fail(Err.NetworkFailure);
    try {
      destination = { address: await service.resolveName(form.destination.host), port: form.destination.port };
    } catch {
      return fail(Err.DnsFailed);
    }
  } else if (link.type !== 'TCP' && link.defaultDestination === undefined) {
    // UDP names its destination on every send unless the link has a fixed peer (spec §2.2.4).
    return fail(Err.WrongParameter);
  }
  const state = ctx.state;
  const result = await ctx.readData(form.length !== undefined ? { length: form.length } : { ctrlZ: true, max: MAX_SEND });
  if (ctx.modem.state !== state) return NONE; // rebooted during the data phase
  if (result.kind === 'cancelled') return ctx.modem.dialect.escCancelResult === 'OK' ? OK : ERROR;
  if (result.kind === 'overflow') return fail(Err.WrongParameter);
  const data = result.data;
  const modem = ctx.modem;
  const report = (confirmed: number) => modem.urc(formatCipSend(index, data.length, confirmed));
  if (service.openLink(index) !== link) {
    report(-1); // the link went away during the data phase
  } else if (data.length === 0) {
    report(0);
  } else {
    service.send(link, data, destination, report);
  }
  return OK;
};

/** AT+CIPSENDSTR=<link>,"<hex>": send without a prompt, `OK` then `+CIPSENDSTR: <link>,<len>`. */
const cipsendstrSet: Handler = (ctx) => {
  const p = ctx.params;
  const index = p.int(0, ANY_NUMBER);
  const fail = (err: number) => ctx.failWith(formatCipError(err));
  let hex: string;
  try {
    hex = p.atMost(2).quoted(1);
  } catch (err) {
    if (err instanceof ParamError) return fail(Err.WrongParameter);
    throw err;
  }
  if (hex.length > MAX_SENDSTR_HEX || !/^(?:[0-9A-Fa-f]{2})+$/.test(hex)) return fail(Err.WrongParameter);
  const service = ctx.modem.sockets;
  const link = sendableLink(ctx, service, index);
  if (typeof link === 'number') return fail(link);
  if (link.type !== 'TCP' && link.defaultDestination === undefined) return fail(Err.WrongParameter);
  const modem = ctx.modem;
  service.send(link, Buffer.from(hex, 'hex'), undefined, (confirmed) => modem.urc(`+CIPSENDSTR: ${index},${confirmed}`));
  return OK;
};

/** TCP: `OK` then `+CIPCLOSE: <n>,0`; UDP: `+CIPCLOSE: <n>,0` then `OK` (spec §2.2.6). */
const cipcloseSet: Handler = (ctx) => {
  const index = ctx.params.atMost(1).int(0, ANY_NUMBER);
  if (index >= LINK_COUNT) return ctx.failWith(formatCipClose(index, Err.WrongParameter));
  const service = ctx.modem.sockets;
  const link = service.openLink(index);
  if (link === undefined) return ctx.failWith(formatCipClose(index, ctx.modem.dialect.deadLinkErr));
  service.closeByHost(link);
  if (link.type === 'TCP') ctx.modem.urc(formatCipClose(index, Err.Ok));
  else ctx.info(formatCipClose(index, Err.Ok));
  return OK;
};

const cipcloseRead: Handler = (ctx) => {
  const service = ctx.modem.sockets;
  ctx.info(`+CIPCLOSE: ${service.links.map((_, i) => (service.openLink(i) !== undefined ? 1 : 0)).join(',')}`);
  return OK;
};

/** AT+CIPACK=<link>: `+CIPACK: <sent>,<acked>,<received>` for an open TCP link (spec §2.2.16). */
const cipackSet: Handler = (ctx) => {
  let index: number;
  try {
    index = ctx.params.atMost(1).int(0, { min: 0, max: LINK_COUNT - 1 });
  } catch (err) {
    if (err instanceof ParamError) return ctx.ipError(IpErr.InvalidParameter);
    throw err;
  }
  if (ctx.state.ip.net !== 'open') return ctx.ipError(IpErr.NetworkNotOpened);
  const link = ctx.modem.sockets.openLink(index);
  if (link === undefined) return ctx.ipError(IpErr.ConnectionNotCreated);
  if (link.type !== 'TCP') return ctx.ipError(IpErr.NotSupported);
  const c = link.counters;
  ctx.info(`+CIPACK: ${c.sent},${c.acked},${c.received}`);
  return OK;
};

function infoLine(line: string): Handler {
  return (ctx) => {
    ctx.info(line);
    return OK;
  };
}

export const socketCommands: CommandTable = {
  '+CIPOPEN': { set: cipopenSet, read: cipopenRead, test: cipopenTest },
  '+CIPSEND': { set: cipsendSet, test: infoLine(`+CIPSEND: (0-${LINK_COUNT - 1}),(1-${MAX_SEND})`) },
  '+CIPSENDSTR': { set: cipsendstrSet },
  '+CIPCLOSE': { set: cipcloseSet, read: cipcloseRead, test: infoLine(`+CIPCLOSE: (0-${LINK_COUNT - 1})`) },
  '+CIPACK': { set: cipackSet, test: infoLine(`+CIPACK: (0-${LINK_COUNT - 1})`) },
};
