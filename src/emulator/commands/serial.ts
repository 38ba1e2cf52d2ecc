import type { CommandContext, CommandSpec, CommandTable, Outcome } from './types.js';
import { OK } from './types.js';
import { ParamError } from '../../at/params.js';
import type { CommandModule } from './context.js';
import type { ModemState } from '../state.js';
import { packetEvent } from '../radio/registration.js';
import { scheduleReboot } from '../radio/boot.js';
import { lifeTimeout } from '../life.js';

const FACTORY_BAUD = 115200;

function speed(ctx: CommandContext): number {
  const value = ctx.params.atMost(1).int(0, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (!ctx.modem.dialect.baudRates.includes(value)) throw new ParamError(`no rate ${value}`, 0);
  return value;
}

/**
 * Change the rate: AT+IPR? reports it at once; the line itself (`lineBaud`, what a transport
 * paces by) switches only after the OK has gone out at the old rate (V.25ter convention).
 */
function changeRate(modem: CommandModule, baud: number): void {
  const serial = modem.state.serial;
  serial.baud = baud;
  // The response leaves as one burst once the command returns: the line (listening since before)
  // has taken it at the old rate when this listener runs. A quiet module (ATQ1) prints nothing,
  // hence the timer. Not a 0 ms timer: on a fake clock it would fire before the response is written.
  const life = modem.life;
  const apply = (): void => {
    modem.off('output', apply);
    fallback.cancel();
    if (!life.aborted) serial.lineBaud = serial.baud;
  };
  modem.on('output', apply);
  const fallback = lifeTimeout(modem.clock, life, RATE_SWITCH_FALLBACK_MS, apply);
}

/** With nothing printed after AT+IPR (ATQ1), the line switches after this long. */
const RATE_SWITCH_FALLBACK_MS = 100;

/** Where a one-number setting lives in the state. */
interface Field {
  get(state: ModemState): number;
  set(state: ModemState, value: number): void;
}

/** A one-number setting with the usual forms; `exec` restores `initial` when given. */
function setting(prefix: string, max: number, field: Field, initial?: number): CommandSpec {
  const spec: CommandSpec = {
    set: (ctx) => {
      field.set(ctx.state, ctx.params.atMost(1).int(0, { min: 0, max }));
      return OK;
    },
    read: (ctx) => {
      ctx.info(`${prefix}: ${field.get(ctx.state)}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`${prefix}: (0-${max})`);
      return OK;
    },
  };
  if (initial === undefined) return spec;
  return {
    ...spec,
    exec: (ctx) => {
      field.set(ctx.state, initial);
      return OK;
    },
  };
}

/** AT+CPOF: `OK`, the shutdown report, then silence until powered on again (A76XX manual §3.2.5). */
function powerOff(ctx: CommandContext): Outcome {
  const quick = ctx.params.atMost(1).int(0, { min: 0, max: 1 }, 0) === 1;
  const modem = ctx.modem;
  if (!quick && modem.state.attached) {
    packetEvent(modem, 'NW PDN DEACT 1');
    packetEvent(modem, 'ME DETACH');
  }
  modem.urc('POWERD DOWN');
  modem.powerOff();
  return OK;
}

const CNMI_RANGES = [
  [0, 1, 2],
  [0, 1, 2, 3],
  [0, 2],
  [0, 1, 2],
  [0, 1],
] as const;

function cnmiSet(ctx: CommandContext): Outcome {
  const params = ctx.params.atMost(5);
  const cnmi = ctx.state.telephony.cnmi;
  const next = CNMI_RANGES.map((allowed, i) => {
    const value = params.int(i, { min: 0, max: 3 }, i === 0 ? undefined : cnmi[i]);
    if (!(allowed as readonly number[]).includes(value)) throw new ParamError(`CNMI value ${value}`, i);
    return value;
  });
  ctx.state.telephony.cnmi = next as [number, number, number, number, number];
  return OK;
}

export const serialCommands: CommandTable = {
  '+CMEE': {
    // `AT+CMEE=` with the value left out means 0 (27.007).
    set: (ctx) => {
      ctx.state.serial.cmee = ctx.params.atMost(1).int(0, { min: 0, max: 2 }, 0);
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+CMEE: ${ctx.state.serial.cmee}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CMEE: (0-2)');
      return OK;
    },
  },
  '+IPR': {
    set: (ctx) => {
      changeRate(ctx.modem, speed(ctx));
      return OK;
    },
    exec: (ctx) => {
      changeRate(ctx.modem, ctx.state.serial.bootBaud);
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+IPR: ${ctx.state.serial.baud}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`+IPR: (${ctx.modem.dialect.baudRates.join(',')})`);
      return OK;
    },
  },
  '+IPREX': {
    set: (ctx) => {
      const baud = speed(ctx);
      ctx.state.serial.bootBaud = baud;
      changeRate(ctx.modem, baud);
      return OK;
    },
    exec: (ctx) => {
      ctx.state.serial.bootBaud = FACTORY_BAUD;
      changeRate(ctx.modem, FACTORY_BAUD);
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+IPREX: ${ctx.state.serial.bootBaud}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`+IPREX: (${ctx.modem.dialect.baudRates.join(',')})`);
      return OK;
    },
  },
  // <format> 1 8P1, 2 8N1, 3 7P1, 4 7N1; <parity> 0 odd, 1 even, 2 none (A76XX manual §10.2.5).
  '+ICF': {
    set: (ctx) => {
      const params = ctx.params.atMost(2);
      ctx.state.serial.frameFormat = [params.int(0, { min: 1, max: 4 }), params.int(1, { min: 0, max: 2 })];
      return OK;
    },
    exec: (ctx) => {
      ctx.state.serial.frameFormat = [2, 2];
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+ICF: ${ctx.state.serial.frameFormat[0]},${ctx.state.serial.frameFormat[1]}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+ICF: (1-4),(0-2)');
      return OK;
    },
  },
  '+IFC': {
    // A left-out <DTE> keeps its value (A76XX manual §1.4 convention).
    set: (ctx) => {
      const params = ctx.params.atMost(2);
      const flow = ctx.state.serial.flowControl;
      ctx.state.serial.flowControl = [params.int(0, { min: 0, max: 2 }), params.int(1, { min: 0, max: 2 }, flow[1])];
      return OK;
    },
    exec: (ctx) => {
      ctx.state.serial.flowControl = [0, 0];
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+IFC: ${ctx.state.serial.flowControl[0]},${ctx.state.serial.flowControl[1]}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+IFC: (0-2),(0-2)');
      return OK;
    },
  },
  // AT+CSCLK's execute form sets 0 (A76XX manual §10.2.7).
  '+CSCLK': setting(
    '+CSCLK',
    2,
    { get: (s) => s.serial.csclk, set: (s, v) => (s.serial.csclk = v) },
    0,
  ),
  '+CATR': setting('+CATR', 7, { get: (s) => s.serial.urcPort, set: (s, v) => (s.serial.urcPort = v) }),
  '+CRESET': {
    exec: (ctx) => {
      scheduleReboot(ctx.modem);
      return OK;
    },
    test: () => OK,
  },
  '+CPOF': {
    exec: powerOff,
    set: powerOff,
    test: (ctx) => {
      ctx.info('+CPOF: (0,1)');
      return OK;
    },
  },
  '+CVHU': setting('+CVHU', 1, { get: (s) => s.telephony.cvhu, set: (s, v) => (s.telephony.cvhu = v) }),
  '+CMGF': setting('+CMGF', 1, { get: (s) => s.telephony.cmgf, set: (s, v) => (s.telephony.cmgf = v) }),
  '+CNMI': {
    set: cnmiSet,
    read: (ctx) => {
      ctx.info(`+CNMI: ${ctx.state.telephony.cnmi.join(',')}`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CNMI: (0-2),(0-3),(0,2),(0-2),(0-1)');
      return OK;
    },
  },
};
