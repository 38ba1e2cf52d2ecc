import type { CommandContext, CommandSpec, CommandTable, Outcome } from './types.js';
import { ERROR, OK, cme } from './types.js';
import { Cme } from '../../at/errors.js';
import { ParamError } from '../../at/params.js';
import type { CommandModule } from './context.js';
import type { ModemState, RadioState } from '../state.js';
import { scheduleReboot } from '../radio/boot.js';
import { accessTechnology, operatorIn } from '../radio/operator.js';
import {
  announceRegistration,
  autoAttach,
  cpinCode,
  csStat,
  detach,
  epsStat,
  isRegisteredStat,
  locationFields,
  psStat,
  radioOn,
  registrationSnapshot,
  systemMode,
  visibleSim,
} from '../radio/registration.js';
import { csqLine, scheduleAutoCsq } from '../radio/signal.js';

/**
 * The radio commands (spec §2.1.7–§2.1.14): signal, functionality, registration, operator,
 * system information, RAT preference, time. The model they read and change lives in ../radio/.
 */

// ---------------------------------------------------------------- functionality (CFUN)

const CFUN_LEVELS = new Set([0, 1, 4, 5, 6, 7, 8]);
const OFFLINE = 7;

/** Move to a CFUN level that does not reboot, printing the URCs the change causes. */
function setFunctionality(modem: CommandModule, fun: number): void {
  const state = modem.state;
  const previous = state.radio.cfun;
  if (previous === fun) return;
  const before = registrationSnapshot(state);
  const simBefore = visibleSim(state);
  state.radio.cfun = fun;
  const simNow = visibleSim(state);
  if (simBefore !== 'absent' && simNow === 'absent') modem.urc('+SIMCARD: NOT AVAILABLE');
  if (!isRegisteredStat(csStat(state))) detach(modem, 'ME');
  if (fun === 0) modem.urc('*RADIOPOWER: 0');
  if (simBefore === 'absent' && simNow !== 'absent') {
    modem.urc(`+CPIN: ${cpinCode(simNow)}`);
  }
  autoAttach(modem);
  announceRegistration(modem, before);
}

function cfunSet(ctx: CommandContext): Outcome {
  const params = ctx.params.atMost(2);
  const fun = params.int(0, { min: 0, max: 8 });
  const reset = params.int(1, { min: 0, max: 1 }, 0);
  if (!CFUN_LEVELS.has(fun)) throw new ParamError(`no CFUN level ${fun}`, 0);
  // `<rst>` only goes with full functionality (spec §2.1.8).
  if (reset === 1 && fun !== 1) throw new ParamError('reset only with fun=1', 1);
  if (fun === 6 || reset === 1) {
    scheduleReboot(ctx.modem);
    return OK;
  }
  // After CFUN=7 only CFUN=6 or a restart brings the module back (spec §2.1.8).
  if (ctx.state.radio.cfun === OFFLINE && fun !== OFFLINE) return cme(Cme.NotAllowed);
  setFunctionality(ctx.modem, fun);
  return OK;
}

// ---------------------------------------------------------------- registration

type ModeKey = 'cregMode' | 'cgregMode' | 'ceregMode';

/** AT+CREG / AT+CGREG / AT+CEREG: the same forms over a different `<stat>` (spec §2.1.9). */
function registrationCommand(prefix: string, key: ModeKey, stat: (state: ModemState) => number): CommandSpec {
  const setMode = (ctx: CommandContext, n: number): Outcome => {
    ctx.state.radio[key] = n;
    return OK;
  };
  return {
    exec: (ctx) => setMode(ctx, 0),
    set: (ctx) => setMode(ctx, ctx.params.atMost(1).int(0, { min: 0, max: 2 })),
    read: (ctx) => {
      const n = ctx.state.radio[key];
      const value = stat(ctx.state);
      const location = n === 2 && isRegisteredStat(value) ? `,${locationFields(ctx.modem)}` : '';
      ctx.info(`${prefix}: ${n},${value}${location}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`${prefix}: (0-2)`);
      return OK;
    },
  };
}

// ---------------------------------------------------------------- operator (COPS)

function copsSet(ctx: CommandContext): Outcome {
  const params = ctx.params.atMost(4);
  const radio = ctx.state.radio;
  const mode = params.int(0, { min: 0, max: 4 });
  const format = params.int(1, { min: 0, max: 2 }, radio.copsFormat);
  const operator = params.isEmpty(2) ? undefined : params.quoted(2);
  params.int(3, { min: 0, max: 8 }, accessTechnology(ctx.state));
  if (mode === 3) {
    if (params.isEmpty(1)) throw new ParamError('COPS=3 needs a format', 1);
    radio.copsFormat = format;
    return OK;
  }
  // Manual selection needs an operator; only the configured network exists (spec §2.1.10).
  if (mode === 1 || mode === 4) {
    if (operator === undefined) throw new ParamError('manual selection needs an operator', 2);
    if (mode === 1 && operator !== operatorIn(radio.operator, format)) return cme(Cme.NoNetworkService);
  }
  const modem = ctx.modem;
  const before = registrationSnapshot(ctx.state);
  const wasDeregistered = radio.copsMode === 2;
  radio.copsMode = mode;
  radio.copsFormat = format;
  if (mode === 2) detach(modem, 'ME');
  else if (wasDeregistered) autoAttach(modem);
  announceRegistration(modem, before);
  return OK;
}

function copsRead(ctx: CommandContext): Outcome {
  const radio = ctx.state.radio;
  if (!isRegisteredStat(csStat(ctx.state))) {
    ctx.info(`+COPS: ${radio.copsMode}`);
    return OK;
  }
  ctx.info(`+COPS: ${radio.copsMode},${radio.copsFormat},"${operatorIn(radio.operator, radio.copsFormat)}",${accessTechnology(ctx.state)}`);
  return OK;
}

/** The scan result: the one configured network, `2` (current) when registered on it. */
function copsTest(ctx: CommandContext): Outcome {
  const tail = ',,(0,1,2,3,4),(0,1,2)';
  if (!radioOn(ctx.state) || visibleSim(ctx.state) === 'absent') {
    ctx.info(`+COPS: ${tail}`);
    return OK;
  }
  const stat = isRegisteredStat(csStat(ctx.state)) ? 2 : 1;
  const names = [0, 1, 2].map((f) => `"${operatorIn(ctx.state.radio.operator, f)}"`).join(',');
  ctx.info(`+COPS: (${stat},${names},${accessTechnology(ctx.state)})${tail}`);
  return OK;
}

// ---------------------------------------------------------------- system information

/** `<Operation Mode>` of AT+CPSI? for each CFUN level (spec §2.1.11). */
const OPERATION_MODE: Readonly<Record<number, string>> = {
  0: 'Low Power Mode',
  1: 'Online',
  4: 'Flight Mode',
  5: 'Factory Test Mode',
  6: 'Reset',
  7: 'Offline',
  8: 'Online',
};

function cpsiRead(ctx: CommandContext): Outcome {
  const state = ctx.state;
  const operation = OPERATION_MODE[state.radio.cfun] ?? 'Unknown';
  if (!isRegisteredStat(csStat(state))) {
    ctx.info(`+CPSI: NO SERVICE,${operation}`);
    return OK;
  }
  const r = ctx.modem.config.radio;
  const { mcc, mnc } = state.radio.operator;
  if (state.radio.rat === 'gsm') {
    // GSM: <MCC>-<MNC>,<LAC>,<CellID>,<ARFCN>,<RxLev>,<Track LO Adjust>,<C1-C2>; a 16-bit cell id.
    const g = r.gsm;
    const cell = Number(BigInt(r.cellId) % 65536n);
    ctx.info(`+CPSI: GSM,${operation},${mcc}-${mnc},${r.tac},${cell},${g.arfcn},${g.rxlev},${g.trackLo},${g.c1c2}`);
    return OK;
  }
  const l = r.lte;
  const [rsrq, rsrp, rssi] = ctx.modem.dialect.cpsiSignal === 'raw' ? [l.rsrq, l.rsrp, l.rssi] : signalInTenths(l, state.radio.rssi);
  ctx.info(
    `+CPSI: LTE,${operation},${mcc}-${mnc},${r.tac},${r.cellId},${l.pcid},${l.band},${l.earfcn},` +
      `${l.dlbw},${l.ulbw},${rsrq},${rsrp},${rssi},${l.rssnr}`,
  );
  return OK;
}

/**
 * The configured raw report values as SIM7600 prints them, in signed tenths: RSRQ (raw−40)/2 dB,
 * RSRP raw−140 dBm, RSSI raw−110 dBm (spec §2.1.11); a raw RSSI of 255 (not known) is taken from
 * the CSQ level instead (−113 + 2·rssi dBm) [INF].
 */
function signalInTenths(l: { rsrq: number; rsrp: number; rssi: number }, csq: number): [number, number, number] {
  const rssiDbm = l.rssi === 255 ? -113 + 2 * Math.min(csq, 31) : l.rssi - 110;
  return [(l.rsrq - 40) * 5, (l.rsrp - 140) * 10, rssiDbm * 10];
}

/** AT+CNMP preferred modes of the A76XX (spec §2.1.12). */
const CNMP_MODES = [2, 13, 14, 38];

// ---------------------------------------------------------------- a 0/1 setting with the usual forms

type SwitchKey = 'ctzu' | 'ctzr' | 'cnsmodMode';

function radioSwitch(prefix: string, key: SwitchKey, read?: (ctx: CommandContext) => string): CommandSpec {
  return {
    set: (ctx) => {
      ctx.state.radio[key] = ctx.params.atMost(1).int(0, { min: 0, max: 1 });
      return OK;
    },
    read: (ctx) => {
      ctx.info(read ? read(ctx) : `${prefix}: ${ctx.state.radio[key]}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`${prefix}: (0-1)`);
      return OK;
    },
  };
}

// ---------------------------------------------------------------- clock (CCLK)

const CCLK_PATTERN = /^(\d{2})\/(\d{2})\/(\d{2}),(\d{2}):(\d{2}):(\d{2})([+-])(\d{2})$/;
const two = (n: number): string => String(n).padStart(2, '0');

/** Local time now, per the last AT+CCLK setting or the host's UTC clock. */
function clockNow(modem: CommandModule, radio: RadioState): { localMs: number; tzQuarters: number } {
  const rtc = radio.rtc;
  if (rtc === undefined) return { localMs: Date.now(), tzQuarters: 0 };
  return { localMs: rtc.localMs + (modem.clock.now() - rtc.clockAt), tzQuarters: rtc.tzQuarters };
}

function cclkText(localMs: number, tzQuarters: number): string {
  const d = new Date(Math.floor(localMs / 1000) * 1000);
  const date = `${two(d.getUTCFullYear() % 100)}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const zone = `${tzQuarters < 0 ? '-' : '+'}${two(Math.abs(tzQuarters))}`;
  return `${date},${time}${zone}`;
}

function cclkSet(ctx: CommandContext): Outcome {
  const text = ctx.params.atMost(1).quoted(0);
  const m = CCLK_PATTERN.exec(text);
  if (m === null) throw new ParamError('bad time', 0);
  const [yy, mo, dd, hh, mi, ss, sign, zz] = m.slice(1) as [string, string, string, string, string, string, string, string];
  const localMs = Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss));
  const d = new Date(localMs);
  const valid =
    d.getUTCMonth() === Number(mo) - 1 && d.getUTCDate() === Number(dd) && Number(hh) < 24 && Number(mi) < 60 && Number(ss) < 60;
  const tzQuarters = (sign === '-' ? -1 : 1) * Number(zz);
  if (!valid || tzQuarters < -48 || tzQuarters > 56) throw new ParamError('bad time', 0);
  ctx.state.radio.rtc = { localMs, clockAt: ctx.modem.clock.now(), tzQuarters };
  return OK;
}

// ---------------------------------------------------------------- the table

export const radioCommands: CommandTable = {
  '+CSQ': {
    exec: (ctx) => {
      ctx.info(csqLine(ctx.state));
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CSQ: (0-31,99),(0-7,99)');
      return OK;
    },
  },
  '+AUTOCSQ': {
    set: (ctx) => {
      const params = ctx.params.atMost(2);
      const enabled = params.int(0, { min: 0, max: 1 });
      const mode = params.int(1, { min: 0, max: 1 }, 0);
      ctx.state.radio.autoCsq = [enabled, mode];
      scheduleAutoCsq(ctx.modem);
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+AUTOCSQ: ${ctx.state.radio.autoCsq[0]},${ctx.state.radio.autoCsq[1]}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+AUTOCSQ: (0-1),(0-1)');
      return OK;
    },
  },
  '+CFUN': {
    set: cfunSet,
    read: (ctx) => {
      ctx.info(`+CFUN: ${ctx.state.radio.cfun}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CFUN: (0-1,4-8),(0-1)');
      return OK;
    },
  },
  '+CREG': registrationCommand('+CREG', 'cregMode', csStat),
  '+CGREG': registrationCommand('+CGREG', 'cgregMode', psStat),
  '+CEREG': registrationCommand('+CEREG', 'ceregMode', epsStat),
  '+COPS': { set: copsSet, read: copsRead, test: copsTest },
  '+CPSI': { read: cpsiRead },
  '+CNMP': {
    set: (ctx) => {
      const mode = ctx.params.atMost(1).int(0, { min: 0, max: 255 });
      if (!CNMP_MODES.includes(mode)) return ERROR;
      ctx.state.radio.cnmp = mode;
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+CNMP: ${ctx.state.radio.cnmp}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`+CNMP: (${CNMP_MODES.join(',')})`);
      return OK;
    },
  },
  '+CNSMOD': radioSwitch('+CNSMOD', 'cnsmodMode', (ctx) => `+CNSMOD: ${ctx.state.radio.cnsmodMode},${systemMode(ctx.state)}`),
  '+CTZU': radioSwitch('+CTZU', 'ctzu'),
  '+CTZR': radioSwitch('+CTZR', 'ctzr'),
  '+CCLK': {
    set: cclkSet,
    read: (ctx) => {
      const now = clockNow(ctx.modem, ctx.state.radio);
      ctx.info(`+CCLK: "${cclkText(now.localMs, now.tzQuarters)}"`);
      return OK;
    },
    test: () => OK,
  },
};
