import type { CommandContext, CommandTable, Handler } from './types.js';
import { ERROR, OK, cme } from './types.js';
import { Cme } from '../../at/errors.js';
import { visibleSim } from '../radio/registration.js';

/** The capability list of ATI and AT+GCAP (A7670 logs, spec §2.1.4). */
export const GCAP = '+CGSM,+FCLASS,+DS';

/** An execute command printing fixed lines; its test form answers a bare OK (spec §2.1.5). */
function identityLine(lines: (ctx: CommandContext) => readonly string[]) {
  const exec: Handler = (ctx) => {
    for (const line of lines(ctx)) ctx.info(line);
    return OK;
  };
  return { exec, test: () => OK };
}

export const identityCommands: CommandTable = {
  '+CGMI': identityLine((ctx) => [ctx.modem.config.identity.manufacturer]),
  '+CGMM': identityLine((ctx) => [ctx.modem.config.identity.model]),
  '+CGMR': identityLine((ctx) => [`+CGMR: ${ctx.modem.config.identity.revision}`]),
  '+CGSN': identityLine((ctx) => [ctx.modem.config.identity.imei]),
  // A7670 answers AT+GSN like AT+CGSN (TinyGSM#739 log).
  '+GSN': identityLine((ctx) => [ctx.modem.config.identity.imei]),
  '+GCAP': identityLine(() => [`+GCAP: ${GCAP}`]),
  // The long form of ATI (spec §1.4 example, A7670E).
  '+SIMCOMATI': identityLine((ctx) => {
    const { identity } = ctx.modem.config;
    return [
      `Manufacturer: ${ctx.modem.dialect.atiManufacturer}`,
      `Model: ${identity.model}`,
      `Revision: ${identity.revision}`,
      identity.build,
      'QCN:',
      `IMEI: ${identity.imei}`,
      'MEID:',
      `+GCAP: ${GCAP}`,
      'DeviceInfo:',
    ];
  }),

  // The IMSI needs an unlocked SIM; without a SIM the module answers a plain ERROR (spec §2.1.5).
  '+CIMI': {
    exec: (ctx) => {
      const sim = visibleSim(ctx.state);
      if (sim === 'absent') return ERROR;
      if (sim === 'pin') return cme(Cme.SimPinRequired);
      if (sim === 'puk') return cme(Cme.SimPukRequired);
      ctx.info(ctx.modem.config.identity.imsi);
      return OK;
    },
    test: () => OK,
  },
  // The ICCID is readable from a locked SIM too; the prefix is `+ICCID:` (spec §2.1.5).
  '+CICCID': {
    exec: (ctx) => {
      if (visibleSim(ctx.state) === 'absent') return ERROR;
      ctx.info(`+ICCID: ${ctx.modem.config.identity.iccid}`);
      return OK;
    },
    test: () => OK,
  },
  '+CSPN': {
    read: (ctx) => {
      const sim = visibleSim(ctx.state);
      if (sim === 'absent') return cme(Cme.SimNotInserted);
      if (sim === 'pin') return cme(Cme.SimPinRequired);
      if (sim === 'puk') return cme(Cme.SimPukRequired);
      ctx.info(`+CSPN: "${ctx.modem.config.sim.spn}",0`);
      return OK;
    },
    test: () => OK,
  },
};
