import type { CommandContext, CommandTable, Outcome } from './types.js';
import { OK } from './types.js';

/** A V.25ter switch like `ATE<n>`: no value means 0, values in 0..max. */
function v25Switch(max: number, apply: (ctx: CommandContext, value: number) => void) {
  const run = (ctx: CommandContext): Outcome => {
    const value = ctx.params.atMost(1).int(0, { min: 0, max }, 0);
    apply(ctx, value);
    return OK;
  };
  return { exec: run, set: run };
}

export const basicCommands: CommandTable = {
  E: v25Switch(1, (ctx, v) => {
    ctx.state.serial.echo = v === 1;
  }),
  V: v25Switch(1, (ctx, v) => {
    ctx.state.serial.verbose = v === 1;
  }),
  Q: v25Switch(1, (ctx, v) => {
    ctx.state.serial.quiet = v === 1;
  }),
  X: v25Switch(4, (ctx, v) => {
    ctx.state.serial.connectText = v;
  }),
};
