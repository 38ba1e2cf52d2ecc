import { isIPv4 } from 'node:net';
import { ParamError } from '../../at/params.js';
import type { CommandModule } from './context.js';
import { csStat, isRegisteredStat } from '../radio/registration.js';
import type { CommandContext, CommandTable, Outcome } from './types.js';
import { OK } from './types.js';

/**
 * AT+CPING (spec §2.1.20, M§5.2.17): `OK` at once, then one line per echo and a summary:
 *
 *   +CPING: 1,<ip>,<size>,<rtt>,<ttl>     an echo came back after <rtt> ms
 *   +CPING: 2                             no answer within <wait_time>
 *   +CPING: 3,<sent>,<recv>,<lost>,<min>,<max>,<avg>
 *
 * `<dest_addr_type>` is mandatory: `AT+CPING="host"` alone answers `ERROR` (LilyGo#178). Without
 * the packet domain (not registered or not attached) or when the name does not resolve, nothing is
 * sent and only `+CPING: 3,0,0,0,0,0,0` comes (T-SIM7600X#90, where NETOPEN failed too) [INF].
 * The round trip is the timing profile's radio round trip plus what the network backend adds
 * (the simulated network: twice its one-way latency; while it is down, every echo times out).
 * Defaults of the optional parameters are those LilyGO's A76xx fork sends except the count
 * (4, as other modules' ping commands) [INF].
 */
interface PingRequest {
  readonly target: string;
  readonly count: number;
  readonly size: number;
  readonly intervalMs: number;
  readonly waitMs: number;
  readonly ttl: number;
}

function pingRequest(ctx: CommandContext): PingRequest {
  const p = ctx.params.atMost(7);
  const target = p.quoted(0);
  if (target === '') throw new ParamError('no destination', 0);
  // 1 IPv4, 2 IPv6; the emulated network has IPv4 only, so IPv6 answers ERROR [INF].
  p.int(1, { min: 1, max: 1 });
  return {
    target,
    count: p.int(2, { min: 1, max: 100 }, 4),
    size: p.int(3, { min: 4, max: 188 }, 64),
    intervalMs: p.int(4, { min: 1000, max: 600_000 }, 1000),
    waitMs: p.int(5, { min: 1000, max: 360_000 }, 10_000),
    ttl: p.int(6, { min: 1, max: 255 }, 255),
  };
}

function summary(modem: CommandModule, sent: number, rtts: readonly number[]): void {
  const recv = rtts.length;
  const [min, max, avg] =
    recv === 0 ? [0, 0, 0] : [Math.min(...rtts), Math.max(...rtts), Math.round(rtts.reduce((a, b) => a + b, 0) / recv)];
  modem.urc(`+CPING: 3,${sent},${recv},${sent - recv},${min},${max},${avg}`);
}

function cpingSet(ctx: CommandContext): Outcome {
  const request = pingRequest(ctx);
  const modem = ctx.modem;
  const reachable = isRegisteredStat(csStat(modem.state)) && modem.state.attached && modem.network !== undefined;
  // Printed while the command runs, a URC waits for the OK.
  if (!reachable) {
    summary(modem, 0, []);
    return OK;
  }
  const life = modem.state;
  const network = modem.network;
  const resolved = isIPv4(request.target) ? Promise.resolve(request.target) : network?.resolve(request.target);
  void (resolved ?? Promise.reject(new Error('no network'))).then(
    (address) => {
      if (modem.state === life) run(modem, request, address);
    },
    () => {
      if (modem.state === life) summary(modem, 0, []);
    },
  );
  return OK;
}

function run(modem: CommandModule, request: PingRequest, address: string): void {
  const timers = modem.radioTimers;
  const rtts: number[] = [];
  let done = 0;
  const finish = (): void => {
    done++;
    if (done === request.count) summary(modem, request.count, rtts);
  };
  for (let i = 0; i < request.count; i++) {
    timers.after(i * request.intervalMs, () => {
      const path = modem.network?.pingRoundTrip?.(address);
      const rtt = path === null ? undefined : modem.state.timing.pingRtt + (path ?? 0);
      if (rtt === undefined || rtt > request.waitMs) {
        timers.after(request.waitMs, () => {
          modem.urc('+CPING: 2');
          finish();
        });
        return;
      }
      timers.after(rtt, () => {
        rtts.push(rtt);
        modem.urc(`+CPING: 1,${address},${request.size},${rtt},${request.ttl}`);
        finish();
      });
    });
  }
}

export const pingCommands: CommandTable = {
  '+CPING': {
    set: cpingSet,
    test: (ctx) => {
      ctx.info('+CPING: IP address,(1,2),(1-100),(4-188),(1000-600000),(1000-360000),(1-255)');
      return OK;
    },
  },
};
