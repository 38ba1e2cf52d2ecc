import type { CommandTable } from './types.js';

export const radioCommands: CommandTable = {};
