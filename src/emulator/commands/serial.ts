import type { CommandTable } from './types.js';

export const serialCommands: CommandTable = {};
