import type { CommandTable } from './types.js';

export const serverCommands: CommandTable = {};
