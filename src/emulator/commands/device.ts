/**
 * The module's own sensors: AT+CPMUTEMP, the temperature of the module in °C.
 *
 * Answer format from what host libraries parse: TinyGSM's A7672x and SIM7600 drivers send
 * `AT+CPMUTEMP` and read the integer after `+CPMUTEMP:` up to the line end, then the final `OK`
 * (TinyGsmClientA7672x.h, TinyGsmClientSIM7600.h, getTemperatureImpl). The test form answers a bare
 * `OK` like the other execute-only commands; read and set forms are `ERROR` (not verified on a
 * real module).
 */
import type { CommandTable } from './types.js';
import { OK } from './types.js';

export const deviceCommands: CommandTable = {
  '+CPMUTEMP': {
    exec: (ctx) => {
      ctx.info(`+CPMUTEMP: ${Math.round(ctx.modem.config.temperatureC)}`);
      return OK;
    },
    test: () => OK,
  },
};
