// Public API of the emulator (`a76xx/emulator`): the module engine, its configuration, time,
// network backends, and the transports that serve its AT port.
export * from './modem.js';
// A command table to give `new EmulatedModem({ commands })`: the standard one, and what a handler is.
export { COMMANDS } from './commands/index.js';
export { OK, ERROR, NONE, cme, type CommandContext, type CommandSpec, type CommandTable, type Handler, type Outcome } from './commands/types.js';
export type { CommandModule } from './commands/context.js';
export * from './config.js';
export * from './dialect.js';
export * from './clock.js';
export * from './network/types.js';
export * from './network/real.js';
export * from './network/simulated.js';
export * from './network/allow-list.js';
export * from './trace.js';
export * from './serve/endpoint.js';
export * from './serve/tcp.js';
export * from './serve/pty.js';
export * from './serve/stdio.js';
export * from './serve/pacing.js';
