import type { CommandTable } from './types.js';

export const dnsCommands: CommandTable = {};
