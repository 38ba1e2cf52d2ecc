import { Err } from '../../at/errors.js';
import { formatCipError, formatClient, formatPeer, formatServerStart, formatServerStop } from '../../at/frames/index.js';
import { ParamError } from '../../at/params.js';
import { SERVER_COUNT, type ServerSlot } from '../links.js';
import type { CommandModule } from './context.js';
import type { TcpConnection } from '../network/types.js';
import type { CommandTable, Handler } from './types.js';
import { ERROR, NONE, OK } from './types.js';

/**
 * TCP servers (spec §2.2.14–2.2.15): AT+SERVERSTART / AT+SERVERSTOP on four server slots, each a
 * real listening socket of the Network (loopback unless the emulator was told otherwise).
 *
 * Accepted connections take the lowest free link and are announced with
 * `+CLIENT: <link>,<server>,<ip>:<port>`; from then on they are ordinary links (CIPSEND, push or
 * buffer receive, `+IPCLOSE`, CIPCLOSE). With CIPMODE=1 server 0 is the transparent one: its
 * client becomes link 0 and the port goes to data mode (`transparent.ts`); servers 1–3 stay
 * command-mode servers whose clients take links 1–9 (spec §0.3, AN§1.5.4).
 *
 * Error codes the manual leaves open, from the §5.2 names [INF]: bad parameter 3, network not
 * opened 2, index already listening 7, port cannot be bound (in use, out of range after the port
 * offset) 6; SERVERSTOP of a server that is not listening 4 (as for a dead link), with accepted
 * links still open 9 ("Sockets opened").
 */

const PORT = { min: 0, max: 65535 };
const SERVER_INDEX = { min: 0, max: SERVER_COUNT - 1 };
const BACKLOG = { min: 1, max: 3 };
const ANY_NUMBER = { min: 0, max: 9_999_999_999 };

const serverstartSet: Handler = async (ctx) => {
  const fail = (err: number) => ctx.failWith(formatCipError(err));
  let port: number;
  let index: number;
  let backlog: number;
  try {
    const p = ctx.params.atMost(3);
    port = p.int(0, PORT);
    index = p.int(1, SERVER_INDEX);
    backlog = p.int(2, BACKLOG, 3);
  } catch (err) {
    if (err instanceof ParamError) return fail(Err.WrongParameter);
    throw err;
  }
  const modem = ctx.modem;
  if (ctx.state.ip.net !== 'open') return fail(Err.NetworkNotOpened);
  const service = modem.sockets;
  if (service.servers[index] !== undefined) return fail(Err.ServerListening);
  const network = service.network;
  if (network === undefined) return fail(Err.BindFailed);
  const state = ctx.state;
  let listener;
  try {
    listener = await network.listenTcp({ port, backlog });
  } catch {
    return fail(Err.BindFailed);
  }
  if (modem.state !== state) {
    listener.close(); // rebooted while binding
    return NONE;
  }
  if (state.ip.net !== 'open' || service.servers[index] !== undefined) {
    listener.close(); // the network went away while binding
    return fail(Err.NetworkNotOpened);
  }
  // Port 0 asks for any free port: show the one it got.
  const slot: ServerSlot = { index, port: port === 0 ? listener.local.port : port, backlog, listener };
  service.servers[index] = slot;
  listener.attach({ connection: (connection) => accepted(modem, slot, connection) });
  return OK;
};

/** A client connected to `slot`: give it a link and announce it. */
function accepted(modem: CommandModule, slot: ServerSlot, connection: TcpConnection): void {
  const service = modem.sockets;
  if (service.servers[slot.index] !== slot) {
    connection.abort();
    return;
  }
  const client = formatPeer(plainIpv4(connection.remote.address), connection.remote.port);
  const transparentMode = modem.state.ip.cipmode === 1;
  if (transparentMode && slot.index === 0) {
    modem.transparent.accept(connection, slot.index, client);
    return;
  }
  const link = service.adopt(connection, slot.index, { lowest: transparentMode ? 1 : 0 });
  if (link !== undefined) modem.urc(formatClient(link.index, slot.index, client));
}

/** `::ffff:127.0.0.1` (a dual-stack listener) → `127.0.0.1`. */
function plainIpv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

const serverstartRead: Handler = (ctx) => {
  if (ctx.state.ip.net !== 'open') return ctx.failWith(formatCipError(Err.NetworkNotOpened));
  for (const slot of ctx.modem.sockets.servers) {
    if (slot !== undefined) ctx.info(formatServerStart(slot.index, slot.port));
  }
  return OK;
};

/**
 * AT+SERVERSTOP=<index>: the accepted links must have been closed first. The listener closes at
 * once; the dialect picks the shape: `OK` then `+SERVERSTOP: <n>,0` (manual, default) or
 * `+SERVERSTOP: <n>,0` then `OK` (application note) (spec §2.2.15, §6 #13).
 */
const serverstopSet: Handler = (ctx) => {
  let index: number;
  try {
    index = ctx.params.atMost(1).int(0, ANY_NUMBER);
  } catch (err) {
    if (err instanceof ParamError) return ERROR;
    throw err;
  }
  const fail = (err: number) => ctx.failWith(formatServerStop(index, err));
  if (index > SERVER_INDEX.max) return fail(Err.WrongParameter);
  if (ctx.state.ip.net !== 'open') return fail(Err.NetworkNotOpened);
  const service = ctx.modem.sockets;
  const slot = service.servers[index];
  if (slot === undefined) return fail(Err.NotSupported);
  if (service.links.some((link) => link !== undefined && link.serverIndex === index)) return fail(Err.SocketsOpened);
  slot.listener.close();
  service.servers[index] = undefined;
  if (ctx.modem.dialect.serverStop === 'immediate') {
    ctx.info(formatServerStop(index, Err.Ok));
  } else {
    ctx.modem.urc(formatServerStop(index, Err.Ok));
  }
  return OK;
};

export const serverCommands: CommandTable = {
  '+SERVERSTART': {
    set: serverstartSet,
    read: serverstartRead,
    test: (ctx) => {
      ctx.info(`+SERVERSTART: (0-65535),(0-${SERVER_INDEX.max})`);
      return OK;
    },
  },
  '+SERVERSTOP': { set: serverstopSet },
};
