import { ParamError } from '../../at/params.js';
import type { CommandTable } from './types.js';
import { OK } from './types.js';

/**
 * Voice and character-set housekeeping that host libraries send during init although the
 * emulator carries no calls: stored and read back, never acting (spec §2.1.20).
 *
 *   AT+CLIP=<n>   calling line identification on incoming calls (A7670E init sends AT+CLIP=1);
 *                 read `+CLIP: <n>,<m>` with <m> 1 "provisioned" (27.007 §7.6) [INF]
 *   AT+CSCS       TE character set; "IRA" at power-on (27.007 §5.5); IRA, GSM and UCS2 [INF]
 *   ATH, AT+CHUP  hang up: with no call there is nothing to end, `OK` (V.250 §6.3.6, 27.007)
 */
const CHARACTER_SETS = ['IRA', 'GSM', 'UCS2'];

export const telephonyCommands: CommandTable = {
  '+CLIP': {
    set: (ctx) => {
      ctx.state.telephony.clip = ctx.params.atMost(1).int(0, { min: 0, max: 1 });
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+CLIP: ${ctx.state.telephony.clip},1`);
      return OK;
    },
    test: (ctx) => {
      ctx.info('+CLIP: (0-1)');
      return OK;
    },
  },
  '+CSCS': {
    set: (ctx) => {
      const set = ctx.params.atMost(1).quoted(0).toUpperCase();
      if (!CHARACTER_SETS.includes(set)) throw new ParamError(`character set ${set}`, 0);
      ctx.state.telephony.cscs = set;
      return OK;
    },
    read: (ctx) => {
      ctx.info(`+CSCS: "${ctx.state.telephony.cscs}"`);
      return OK;
    },
    test: (ctx) => {
      ctx.info(`+CSCS: (${CHARACTER_SETS.map((c) => `"${c}"`).join(',')})`);
      return OK;
    },
  },
  H: {
    exec: () => OK,
    set: (ctx) => {
      ctx.params.atMost(1).int(0, { min: 0, max: 0 });
      return OK;
    },
  },
  '+CHUP': { exec: () => OK, test: () => OK },
};
