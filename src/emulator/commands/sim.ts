import type { CommandTable } from './types.js';

export const simCommands: CommandTable = {};
