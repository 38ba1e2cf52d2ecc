import { Err } from '../../at/errors.js';
import { CONNECT_FAIL as CONNECT_FAIL_TEXT, NO_CARRIER as NO_CARRIER_TEXT, RESULT_CODES } from '../../at/result-codes.js';
import { formatCipOpen } from '../../at/frames/index.js';
import { CONNECT_FAIL_NUMERIC } from '../transparent.js';
import { openLink, type OpenRequest } from './open-link.js';
import type { CommandContext, CommandTable, Handler, Outcome } from './types.js';
import { NONE } from './types.js';

/**
 * Entering and resuming transparent (data) mode (spec §2.1.19, §3.4): the transparent form of
 * AT+CIPOPEN and ATO. The session itself (escape, packetizing, closes, DTR) is `../transparent.ts`.
 */

const NO_CARRIER: Outcome = { kind: 'result', text: NO_CARRIER_TEXT, numeric: RESULT_CODES['NO CARRIER'] };
const CONNECT_FAIL: Outcome = { kind: 'result', text: CONNECT_FAIL_TEXT, numeric: CONNECT_FAIL_NUMERIC };

/**
 * AT+CIPOPEN=0,… with CIPMODE=1 (socket.ts checked: link 0, network open, slot free): open, then
 * `CONNECT <baud>` and data mode — no OK, no `+CIPOPEN:` — or `CONNECT FAIL` (spec §2.2.3, §3.4).
 * UDP needs its fixed peer here: with none there is nowhere to send the host's bytes.
 */
export async function openTransparent(ctx: CommandContext, request: OpenRequest): Promise<Outcome> {
  const modem = ctx.modem;
  if (request.type !== 'TCP' && request.host === undefined) return ctx.failWith(formatCipOpen(request.index, Err.WrongParameter));
  if (modem.transparent.session !== undefined) return ctx.failWith(formatCipOpen(request.index, Err.NotSupported));
  const session = modem.transparent.begin();
  const err = await openLink(modem, request, session);
  if (err !== Err.Ok) {
    session.abandon();
    return err === undefined ? NONE : CONNECT_FAIL; // undefined: rebooted meanwhile, print nothing
  }
  const link = modem.sockets.links[request.index];
  if (link !== undefined) session.bind(link);
  session.connectFromCommand();
  return NONE;
}

/** ATO[0]: back to data mode with `CONNECT <baud>`; `NO CARRIER` without a connection to resume. */
const resume: Handler = (ctx) => {
  ctx.params.atMost(1).int(0, { min: 0, max: 0 }, 0);
  const session = ctx.modem.transparent.session;
  if (session === undefined || !session.resumable) return NO_CARRIER;
  session.resume();
  return NONE;
};

export const dataModeCommands: CommandTable = {
  O: { exec: resume, set: resume },
};
