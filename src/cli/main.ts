#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { SUBCOMMANDS } from './subcommands.js';

// `a76xx … | head -1`: a reader that went away is not an error worth a stack trace. The
// subcommands that stream (nc, console) end their sessions on it; the rest just stop writing.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('a76xx')
  .description('SIMCom A76XX tools: an emulator of the module on its AT port, and a driver for real modules')
  .version(version)
  .showHelpAfterError('(add --help for usage)');

for (const load of SUBCOMMANDS) {
  const sub = (await load()).command();
  sub.showHelpAfterError('(add --help for usage)');
  program.addCommand(sub);
}

await program.parseAsync(process.argv);
