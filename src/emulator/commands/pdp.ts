import type { CommandTable } from './types.js';

export const pdpCommands: CommandTable = {};
