import type { CommandContext, CommandTable, Outcome } from './types.js';
import { OK, cme } from './types.js';
import { Cme } from '../../at/errors.js';
import { ParamError } from '../../at/params.js';
import { announceRegistration, autoAttach, cpinCode, registrationSnapshot, visibleSim } from '../radio/registration.js';

const PIN_ATTEMPTS = 3;

/** A PIN or PUK as typed: 4–8 digits, quoted or bare; anything else is a parameter error. */
function code(ctx: CommandContext, index: number): string {
  const value = ctx.params.text(index);
  if (!/^[0-9]{4,8}$/.test(value)) throw new ParamError(`parameter ${index + 1} is not a PIN`, index);
  return value;
}

/** The SIM is unlocked: report it, then register and attach as at boot. */
function unlocked(ctx: CommandContext): void {
  const modem = ctx.modem;
  const before = registrationSnapshot(modem.state);
  modem.state.radio.sim = 'ready';
  modem.state.radio.pinAttempts = PIN_ATTEMPTS;
  modem.urc('+CPIN: READY');
  autoAttach(modem);
  announceRegistration(modem, before);
}

function enterCode(ctx: CommandContext): Outcome {
  const radio = ctx.state.radio;
  ctx.params.atMost(2);
  const first = code(ctx, 0);
  const second = ctx.params.isEmpty(1) ? undefined : code(ctx, 1);
  if (radio.simBusy) return cme(Cme.SimBusy);
  switch (visibleSim(ctx.state)) {
    case 'absent':
      return cme(Cme.SimNotInserted);
    case 'ready':
      return cme(Cme.NotAllowed);
    case 'pin':
      if (first !== radio.pin) {
        radio.pinAttempts = Math.max(0, radio.pinAttempts - 1);
        if (radio.pinAttempts === 0) radio.sim = 'puk';
        return cme(Cme.IncorrectPassword);
      }
      unlocked(ctx);
      return OK;
    case 'puk':
      // With the SIM blocked, the PUK comes first and the new PIN second (27.007 +CPIN).
      if (second === undefined) return cme(Cme.SimPukRequired);
      if (first !== ctx.modem.config.sim.puk) return cme(Cme.IncorrectPassword);
      radio.pin = second;
      unlocked(ctx);
      return OK;
  }
}

export const simCommands: CommandTable = {
  '+CPIN': {
    read: (ctx) => {
      const sim = visibleSim(ctx.state);
      if (sim === 'absent') return cme(Cme.SimNotInserted);
      // Still initialising after a reset: `SIM busy` until `+CPIN: READY` (spec §2.1.6; LilyGo#79
      // shows the same window answered with `SIM failure`).
      if (ctx.state.radio.simBusy) return cme(Cme.SimBusy);
      ctx.info(`+CPIN: ${cpinCode(sim)}`);
      return OK;
    },
    set: enterCode,
    test: () => OK,
  },
};
