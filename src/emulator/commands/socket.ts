import type { CommandTable } from './types.js';

export const socketCommands: CommandTable = {};
