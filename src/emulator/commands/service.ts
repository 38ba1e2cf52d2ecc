import type { CommandTable } from './types.js';

export const serviceCommands: CommandTable = {};
