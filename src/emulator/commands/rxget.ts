import type { CommandTable } from './types.js';

export const rxgetCommands: CommandTable = {};
