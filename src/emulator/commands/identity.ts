import type { CommandTable } from './types.js';

export const identityCommands: CommandTable = {};
