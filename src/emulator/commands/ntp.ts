import { isIPv4 } from 'node:net';
import { csStat, isRegisteredStat } from '../radio/registration.js';
import type { CommandContext, CommandTable, Outcome } from './types.js';
import { OK } from './types.js';

/**
 * AT+CNTP (spec §2.1.20, M§14.2.3): `AT+CNTP="<host>"[,<tz>]` sets the server and the time zone
 * (quarter hours); `AT+CNTP` answers `OK`, then `+CNTP: 0` once the clock is set — to the host's
 * UTC time in that zone, so AT+CCLK? reads it afterwards. Without the packet domain or when the
 * name does not resolve: `+CNTP: 1` [INF: the failure code is not in any log found].
 * TinyGSM sends AT+CNTPCID=1 first and tolerates its ERROR ("not supported by all modules"):
 * the A76XX manual has no such command [INF], so it answers ERROR here too.
 */
function cntpSet(ctx: CommandContext): Outcome {
  const p = ctx.params.atMost(2);
  const host = p.quoted(0);
  const tzQuarters = p.int(1, { min: -48, max: 56 }, 0);
  ctx.state.radio.ntp = { host, tzQuarters };
  return OK;
}

function cntpExec(ctx: CommandContext): Outcome {
  const modem = ctx.modem;
  const { host, tzQuarters } = modem.state.radio.ntp;
  const finish = (code: number): void =>
    modem.radioTimers.after(modem.state.timing.ntp, () => {
      if (code === 0) modem.state.radio.rtc = { localMs: Date.now() + tzQuarters * 15 * 60_000, clockAt: modem.clock.now(), tzQuarters };
      modem.urc(`+CNTP: ${code}`);
    });
  const online = isRegisteredStat(csStat(modem.state)) && modem.state.attached && modem.network !== undefined;
  if (!online || host === '') {
    finish(1);
    return OK;
  }
  const life = modem.state;
  const lookup = isIPv4(host) ? Promise.resolve(host) : (modem.network?.resolve(host) ?? Promise.reject(new Error('no network')));
  void lookup.then(
    () => modem.state === life && finish(0),
    () => modem.state === life && finish(1),
  );
  return OK;
}

export const ntpCommands: CommandTable = {
  '+CNTP': {
    set: cntpSet,
    exec: cntpExec,
    read: (ctx) => {
      const { host, tzQuarters } = ctx.state.radio.ntp;
      ctx.info(`+CNTP: "${host}",${tzQuarters}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CNTP: 253,(-48-56)');
      return OK;
    },
  },
};
