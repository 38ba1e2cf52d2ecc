import { IpErr } from '../../at/errors.js';
import { CRLF } from '../../at/result-codes.js';
import { formatRxgetAvailable, formatRxgetData, formatRxgetMode, formatRxgetSource } from '../../at/frames/index.js';
import { ParamError } from '../../at/params.js';
import { LINK_COUNT } from '../links.js';
import type { CommandContext, CommandTable, Handler, Outcome } from './types.js';
import { OK } from './types.js';

/**
 * AT+CIPRXGET (spec §2.2.5): receive mode (0 push, 1 buffer, 5 buffer with source addresses) and
 * the buffered reads 2 (raw), 3 (hex), 4 (how much is waiting).
 */

/** Largest read per mode (and the default when `<len>` is omitted). */
import { MAX_READ as MAX_RAW_READ, MAX_HEX_READ } from '../../at/limits.js';

const ciprxgetSet: Handler = (ctx) => {
  const p = ctx.params;
  const mode = p.int(0, { min: 0, max: ctx.modem.dialect.rxgetMaxMode });
  if (mode === 0 || mode === 1 || mode === 5) {
    p.atMost(1);
    ctx.modem.sockets.setRxMode(mode === 0 ? 0 : 1, mode === 5);
    return OK;
  }
  try {
    return mode === 4 ? pending(ctx) : read(ctx, mode === 2 ? 'raw' : 'hex');
  } catch (err) {
    if (err instanceof ParamError) return ctx.ipError(IpErr.InvalidParameter);
    throw err;
  }
};

/** `+CIPRXGET: 4,<link>,<rest>`; a closed or never-opened link simply has 0 (spec §2.2.5). */
function pending(ctx: CommandContext): Outcome {
  const index = ctx.params.atMost(2).int(1, { min: 0, max: LINK_COUNT - 1 });
  const rest = ctx.modem.sockets.rx[index]?.length ?? 0;
  ctx.info(formatRxgetAvailable(index, rest));
  return OK;
}

/**
 * Mode 2: header line, the raw bytes, then (dialect) `<CR><LF>` before the final `<CR><LF>OK`.
 * Mode 3: header line, then the bytes as one upper-case hex line. With mode 5 selected a
 * `+CIPRXGETIP: <ip>:<port>` line of the data's source comes first — its exact place and spacing
 * are undocumented (spec §2.2.5, Q10) [INF].
 */
function read(ctx: CommandContext, form: 'raw' | 'hex'): Outcome {
  const p = ctx.params.atMost(3);
  const index = p.int(1, { min: 0, max: LINK_COUNT - 1 });
  const max = form === 'raw' ? MAX_RAW_READ : MAX_HEX_READ;
  const length = p.int(2, { min: 1, max }, max);
  const service = ctx.modem.sockets;
  const got = service.read(index, length);
  if (got === undefined) return ctx.ipError(noDataCode(ctx));
  const rest = service.rx[index]?.length ?? 0;
  if (ctx.state.ip.rxShowAddress) ctx.info(formatRxgetSource(got.from.address, got.from.port));
  ctx.info(formatRxgetData(form === 'raw' ? 2 : 3, index, got.data.length, rest));
  if (form === 'hex') {
    ctx.info(got.data.toString('hex').toUpperCase());
  } else {
    ctx.raw(got.data);
    if (ctx.modem.dialect.rxgetDataTrailer) ctx.raw(CRLF);
  }
  return OK;
}

/** "No data" is err_info 22 on A76XX but 21 in the SIM7600 table (spec §5.1, §6 #24). */
function noDataCode(ctx: CommandContext): number {
  return ctx.modem.dialect.rxgetNoDataErr;
}

export const rxgetCommands: CommandTable = {
  '+CIPRXGET': {
    set: ciprxgetSet,
    read: (ctx) => {
      ctx.info(formatRxgetMode(ctx.state.ip.rxmode));
      return OK;
    },
    test: (ctx) => {
      const modes = `(0-${ctx.modem.dialect.rxgetMaxMode})`;
      ctx.info(`+CIPRXGET: ${modes},(0-${LINK_COUNT - 1}),(1-${MAX_RAW_READ})`);
      return OK;
    },
  },
};
