import type { CommandContext, CommandTable, Outcome } from './types.js';
import { ERROR, OK } from './types.js';
import { copyProfile, defaultProfile, type SerialProfile } from '../state.js';
import { GCAP } from './identity.js';

/** A V.25ter switch like `ATE<n>`: no value means `omitted`, values in 0..max. */
function v25Switch(max: number, apply: (ctx: CommandContext, value: number) => void, omitted = 0) {
  const run = (ctx: CommandContext): Outcome => {
    const value = ctx.params.atMost(1).int(0, { min: 0, max }, omitted);
    apply(ctx, value);
    return OK;
  };
  return { exec: run, set: run };
}

/** A command that takes only `0` (or nothing), like `AT&F[0]`, `AT&W[0]`, `ATZ[0]`. */
function zeroOnly(apply: (ctx: CommandContext) => void) {
  const run = (ctx: CommandContext): Outcome => {
    ctx.params.atMost(1).int(0, { min: 0, max: 0 }, 0);
    apply(ctx);
    return OK;
  };
  return { exec: run, set: run };
}

/** Put a profile's settings into the live serial state. */
function applyProfile(ctx: CommandContext, profile: SerialProfile): void {
  Object.assign(ctx.state.serial, copyProfile(profile));
}

/**
 * S-registers (spec §1.2): `ATS<n>?` prints the value as three digits (V.25ter), `ATS<n>=<m>`
 * sets it, `ATS<n>=` sets the default, `ATS<n>=?` prints the range. The line editor and response
 * framing keep using <CR>, <LF> and backspace whatever S3/S4/S5 say.
 */
const S_REGISTERS: ReadonlyMap<number, { readonly min: number; readonly max: number }> = new Map([
  [0, { min: 0, max: 255 }],
  [3, { min: 0, max: 127 }],
  [4, { min: 0, max: 127 }],
  [5, { min: 0, max: 127 }],
  [7, { min: 1, max: 255 }],
]);

function sRegister(ctx: CommandContext): { index: number; range: { min: number; max: number } } | undefined {
  const index = Number(ctx.command.name.slice(1));
  const range = S_REGISTERS.get(index);
  return range === undefined ? undefined : { index, range };
}

/** The AT&V block (spec §2.1.3): one line reflecting the current settings. */
function configurationText(ctx: CommandContext): string {
  const s = ctx.state.serial;
  const registers = [...S_REGISTERS.keys()].map((n) => `S${n}:${s.sRegisters.get(n) ?? 0}`).join(';');
  return (
    `&C:${s.dcdMode};&D:${s.dtrMode};&F:0;&W:0;E:${s.echo ? 1 : 0};Q:${s.quiet ? 1 : 0};` +
    `V:${s.verbose ? 1 : 0};X:${s.connectText};${registers};+CMEE:${s.cmee};` +
    `+ICF:${s.frameFormat[0]},${s.frameFormat[1]};+IFC:${s.flowControl[0]},${s.flowControl[1]};+IPR:${s.baud}`
  );
}

export const basicCommands: CommandTable = {
  E: v25Switch(1, (ctx, v) => {
    ctx.state.serial.echo = v === 1;
  }),
  // `ATV` alone means ATV1 (spec §2.1.3).
  V: v25Switch(
    1,
    (ctx, v) => {
      ctx.state.serial.verbose = v === 1;
    },
    1,
  ),
  Q: v25Switch(1, (ctx, v) => {
    ctx.state.serial.quiet = v === 1;
  }),
  X: v25Switch(4, (ctx, v) => {
    ctx.state.serial.connectText = v;
  }),
  '&D': v25Switch(2, (ctx, v) => {
    ctx.state.serial.dtrMode = v;
  }),
  '&C': v25Switch(2, (ctx, v) => {
    ctx.state.serial.dcdMode = v;
  }),

  I: zeroOnly((ctx) => {
    const { identity } = ctx.modem.config;
    ctx.info(`Manufacturer: ${ctx.modem.dialect.atiManufacturer}`);
    ctx.info(`Model: ${identity.model}`);
    ctx.info(`Revision: ${identity.revision}`);
    ctx.info(`IMEI: ${identity.imei}`);
    ctx.info(`+GCAP: ${GCAP}`);
  }),

  // Factory defaults: the serial profile and the settings the manual lists (spec §2.1.3).
  '&F': zeroOnly((ctx) => {
    applyProfile(ctx, defaultProfile());
    ctx.state.serial.urcPort = 0;
    ctx.state.radio.cnmp = 2;
    ctx.state.radio.ctzu = 0;
  }),
  '&W': zeroOnly((ctx) => {
    ctx.state.serial.saved = copyProfile(ctx.state.serial);
  }),
  Z: zeroOnly((ctx) => {
    applyProfile(ctx, ctx.state.serial.saved);
  }),
  '&V': zeroOnly((ctx) => {
    ctx.info(configurationText(ctx));
  }),

  S: {
    read: (ctx) => {
      const register = sRegister(ctx);
      if (register === undefined) return ERROR;
      const value = ctx.state.serial.sRegisters.get(register.index) ?? 0;
      ctx.info(String(value).padStart(3, '0'));
      return OK;
    },
    set: (ctx) => {
      const register = sRegister(ctx);
      if (register === undefined) return ERROR;
      const fallback = defaultProfile().sRegisters.get(register.index) ?? 0;
      const value = ctx.params.atMost(1).int(0, register.range, fallback);
      ctx.state.serial.sRegisters.set(register.index, value);
      return OK;
    },
    test: (ctx) => {
      const register = sRegister(ctx);
      if (register === undefined) return ERROR;
      ctx.info(`S${register.index}: (${register.range.min}-${register.range.max})`);
      return OK;
    },
  },
};
