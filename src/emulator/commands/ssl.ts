import { ParamError, type Params } from '../../at/params.js';
import {
  CCH_SESSION_COUNT,
  CCHRECV_MAX,
  CCHSEND_MAX,
  CchErr,
  formatCchRecvLen,
  formatCchResult,
  SSL_CONTEXT_COUNT,
} from '../../at/ssl.js';
import { frames, type OpenRequest } from '../ssl/service.js';
import { SEND_BUFFER_LIMIT } from '../ssl/session.js';
import { pdpAvailable } from './service.js';
import type { CommandContext, CommandTable, Handler } from './types.js';
import { ERROR, NONE, OK } from './types.js';

/**
 * The CCH sessions (docs/ssl-spec.md §3): AT+CCHSET, AT+CCHMODE, AT+CCHSTART, AT+CCHSTOP,
 * AT+CCHSSLCFG, AT+CCHCFG, AT+CCHOPEN, AT+CCHSEND, AT+CCHRECV, AT+CCHCLOSE.
 *
 * What the manual leaves open, decided here [INF]:
 * - every CCH command that needs the service (CCHSSLCFG, CCHOPEN, CCHSEND, CCHRECV, CCHCLOSE)
 *   answers `ERROR` before `+CCHSTART: 0`, as do commands on a session that is not connected —
 *   never a `>` prompt;
 * - AT+CCHOPEN on a session already connected or connecting answers `ERROR`;
 * - the service's outcomes (DNS, connect, handshake, certificates) come as `OK` then
 *   `+CCHOPEN: <sid>,<err>`;
 * - AT+CCHRECV with nothing cached answers `+CCHRECV: <sid>,11` then `ERROR` (state error).
 */

const SESSION = { min: 0, max: CCH_SESSION_COUNT - 1 };
/** The session list as the test forms print it: `(0,1)` (manual's CCHSEND and CCHSSLCFG). */
const SESSIONS = `(${Array.from({ length: CCH_SESSION_COUNT }, (_, i) => i).join(',')})`;
const ANY_NUMBER = { min: 0, max: 9_999_999_999 };
const PORT = { min: 1, max: 65535 };
const FLAG = { min: 0, max: 1 };
/** Host names and addresses: at most 256 bytes (manual §19.2.12). */
const MAX_HOST = 256;

function started(ctx: CommandContext): boolean {
  return ctx.modem.ssl.service === 'started';
}

function info(line: string): Handler {
  return (ctx) => {
    ctx.info(line);
    return OK;
  };
}

// ---------------------------------------------------------------- settings (before CCHSTART)

/** AT+CCHSET=<report_send_result>[,<recv_mode>]: only while the service is stopped. */
const cchsetSet: Handler = (ctx) => {
  const p = ctx.params.atMost(2);
  const report = p.int(0, FLAG) as 0 | 1;
  const ssl = ctx.modem.ssl;
  const recvMode = p.int(1, FLAG, ssl.settings.recvMode) as 0 | 1;
  if (ssl.service !== 'stopped') return ERROR;
  ssl.settings.reportSend = report;
  ssl.settings.recvMode = recvMode;
  return OK;
};

const cchmodeSet: Handler = (ctx) => {
  const mode = ctx.params.atMost(1).int(0, FLAG) as 0 | 1;
  const ssl = ctx.modem.ssl;
  if (ssl.service !== 'stopped') return ERROR;
  ssl.settings.transparent = mode;
  return OK;
};

// ---------------------------------------------------------------- the service

/** `OK`, then `+CCHSTART: 0` once the PDP context is up (17 "no net" when it cannot come up). */
const cchstartExec: Handler = (ctx) => {
  const ssl = ctx.modem.ssl;
  if (ssl.service !== 'stopped') return ERROR;
  const modem = ctx.modem;
  ssl.start(() => pdpAvailable(modem.state) && modem.network?.available !== false);
  return OK;
};

/** `OK`, then `+CCHSTOP: 0`; sessions still connected are dropped. */
const cchstopExec: Handler = (ctx) => {
  const ssl = ctx.modem.ssl;
  if (ssl.service !== 'started') return ERROR;
  ssl.stop();
  ctx.modem.urc('+CCHSTOP: 0');
  return OK;
};

/** AT+CCHSSLCFG=<sid>,<ctx>: the context of the next CCHOPEN of that session. */
const cchsslcfgSet: Handler = (ctx) => {
  const p = ctx.params.atMost(2);
  const session = p.int(0, SESSION);
  const context = p.int(1, { min: 0, max: SSL_CONTEXT_COUNT - 1 });
  const ssl = ctx.modem.ssl;
  if (!started(ctx) || ssl.busy(session)) return ERROR;
  ssl.contextOf[session] = context;
  return OK;
};

/** AT+CCHCFG="sendtimeout",<sid>,<60-150> | "sslctx",<sid>,<ctx>. */
const cchcfgSet: Handler = (ctx) => {
  const p = ctx.params.atMost(3);
  const what = p.quoted(0).toLowerCase();
  const session = p.int(1, SESSION);
  const ssl = ctx.modem.ssl;
  if (what === 'sendtimeout') {
    ssl.settings.sendTimeout[session] = p.int(2, { min: 60, max: 150 });
    return OK;
  }
  if (what !== 'sslctx') return ERROR;
  const context = p.int(2, { min: 0, max: SSL_CONTEXT_COUNT - 1 });
  if (!started(ctx) || ssl.busy(session)) return ERROR;
  ssl.contextOf[session] = context;
  return OK;
};

// ---------------------------------------------------------------- opening and closing

function parseOpen(p: Params): OpenRequest {
  if (p.count < 3 || p.count > 5) throw new ParamError('3 to 5 parameters', p.count);
  const session = p.int(0, SESSION);
  const host = p.quoted(1);
  if (host === '' || Buffer.byteLength(host) > MAX_HOST) throw new ParamError('bad host', 1);
  const port = p.int(2, PORT);
  const clientType = p.int(3, { min: 1, max: 2 }, 2) as 1 | 2;
  const localPort = p.int(4, { min: 0, max: 65535 }, 0);
  return { session, host, port, clientType, localPort };
}

const cchopenSet: Handler = (ctx) => {
  const request = parseOpen(ctx.params);
  const ssl = ctx.modem.ssl;
  if (!started(ctx) || ssl.busy(request.session)) return ERROR;
  // Transparent sessions (AT+CCHMODE=1) are not emulated: the open is refused (README, Q9).
  if (ssl.settings.transparent === 1) return ERROR;
  ssl.open(request);
  return OK;
};

const cchopenRead: Handler = (ctx) => {
  const ssl = ctx.modem.ssl;
  for (let i = 0; i < CCH_SESSION_COUNT; i++) {
    const open = ssl.describe(i);
    ctx.info(open === undefined ? `+CCHOPEN: ${i},"",,,` : `+CCHOPEN: ${i},"${open.host}",${open.port},${open.clientType},${open.localPort || ''}`);
  }
  return OK;
};

/** `OK` then `+CCHCLOSE: <sid>,0`; a session that is not connected answers ERROR. */
const cchcloseSet: Handler = (ctx) => {
  const session = ctx.params.atMost(1).int(0, SESSION);
  const ssl = ctx.modem.ssl;
  if (!started(ctx) || ssl.openSession(session) === undefined) return ERROR;
  ssl.close(session);
  ctx.modem.urc(formatCchResult('CCHCLOSE', session, CchErr.Ok));
  return OK;
};

// ---------------------------------------------------------------- data

/**
 * AT+CCHSEND=<sid>,<len>: `>`, exactly `<len>` bytes (1–2048), `OK`; with AT+CCHSET=1 then
 * `+CCHSEND: <sid>,0` once the bytes left. A failed send prints `+CCHSEND: <sid>,<err>` in
 * any case (the manual's URC table).
 */
const cchsendSet: Handler = async (ctx) => {
  const p = ctx.params.atMost(2);
  const index = p.int(0, SESSION);
  const length = p.int(1, ANY_NUMBER);
  if (length < 1 || length > CCHSEND_MAX) return ERROR;
  const ssl = ctx.modem.ssl;
  const session = started(ctx) ? ssl.openSession(index) : undefined;
  if (session === undefined) return ERROR;
  if (session.unsent + length > SEND_BUFFER_LIMIT) return ERROR;
  const result = await ctx.readData({ length });
  if (ctx.life.aborted) return NONE; // rebooted during the data phase
  if (result.kind !== 'data') return ERROR;
  const modem = ctx.modem;
  const report = (err: number) => {
    if (err !== CchErr.Ok || ssl.settings.reportSend === 1) modem.urc(formatCchResult('CCHSEND', index, err));
  };
  if (ssl.openSession(index) !== session) report(CchErr.PeerClosed);
  else ssl.send(session, result.data, report);
  return OK;
};

/** `+CCHSEND: 0,<unsent0>,1,<unsent1>`. */
const cchsendRead: Handler = (ctx) => {
  const ssl = ctx.modem.ssl;
  const parts: string[] = [];
  for (let i = 0; i < CCH_SESSION_COUNT; i++) parts.push(`${i},${ssl.openSession(i)?.unsent ?? 0}`);
  ctx.info(`+CCHSEND: ${parts.join(',')}`);
  return OK;
};

/**
 * AT+CCHRECV=<sid>[,<max>] (manual receive mode): `OK`, the cached bytes (at most `<max>`, 0 or
 * absent = all) as `+CCHRECV: DATA,<sid>,<len>` frames, then `+CCHRECV: <sid>,0`.
 */
const cchrecvSet: Handler = (ctx) => {
  const p = ctx.params.atMost(2);
  const index = p.int(0, SESSION);
  const max = p.int(1, { min: 0, max: CCHRECV_MAX }, 0);
  const ssl = ctx.modem.ssl;
  if (!started(ctx) || ssl.settings.recvMode !== 1) return ERROR;
  const session = ssl.session(index);
  if (session === undefined || session.cached === 0) return ctx.failWith(formatCchResult('CCHRECV', index, CchErr.State));
  const data = session.take(max === 0 ? undefined : max);
  ssl.released(index);
  const modem = ctx.modem;
  for (const frame of frames(index, data, modem.state.serial.verbose)) modem.urcRaw(frame);
  modem.urc(formatCchResult('CCHRECV', index, CchErr.Ok));
  return OK;
};

/** `+CCHRECV: LEN,<cached0>,<cached1>`. */
const cchrecvRead: Handler = (ctx) => {
  const ssl = ctx.modem.ssl;
  const cached: number[] = [];
  for (let i = 0; i < CCH_SESSION_COUNT; i++) cached.push(ssl.session(i)?.cached ?? 0);
  ctx.info(formatCchRecvLen(cached));
  return OK;
};

export const sslCommands: CommandTable = {
  '+CCHSET': {
    set: cchsetSet,
    read: (ctx) => {
      const s = ctx.modem.ssl.settings;
      ctx.info(`+CCHSET: ${s.reportSend},${s.recvMode}`);
      return OK;
    },
    test: info('+CCHSET: (0,1),(0,1)'),
  },
  '+CCHMODE': {
    set: cchmodeSet,
    read: (ctx) => {
      ctx.info(`+CCHMODE: ${ctx.modem.ssl.settings.transparent}`);
      return OK;
    },
    test: info('+CCHMODE: (0,1)'),
  },
  '+CCHSTART': { exec: cchstartExec },
  '+CCHSTOP': { exec: cchstopExec },
  '+CCHSSLCFG': { set: cchsslcfgSet, test: info(`+CCHSSLCFG: ${SESSIONS},(0-${SSL_CONTEXT_COUNT - 1})`) },
  '+CCHCFG': { set: cchcfgSet },
  '+CCHOPEN': {
    set: cchopenSet,
    read: cchopenRead,
    test: info(`+CCHOPEN: (0-${CCH_SESSION_COUNT - 1}),"ADDRESS",(1-65535)[,(1-2)[,(1-65535)]]`),
  },
  '+CCHCLOSE': { set: cchcloseSet, test: info(`+CCHCLOSE: ${SESSIONS}`) },
  '+CCHSEND': { set: cchsendSet, read: cchsendRead, test: info(`+CCHSEND: ${SESSIONS},(1-${CCHSEND_MAX})`) },
  '+CCHRECV': { set: cchrecvSet, read: cchrecvRead, test: info(`+CCHRECV: ${SESSIONS},(0-${CCHRECV_MAX})`) },
};
