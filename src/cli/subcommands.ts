import type { Command } from 'commander';

/** A subcommand: one file under src/cli/ exporting `command()`, which builds its commander Command. */
export interface SubcommandModule {
  command(): Command;
}

/**
 * Every subcommand of `a76xx`. Registering one is one line here; the README's flags tables are
 * checked against each one's definition (test/e2e/cli-readme-flags.test.ts).
 */
export const SUBCOMMANDS: readonly (() => Promise<SubcommandModule>)[] = [
  () => import('./emulate.js'),
  () => import('./ctl.js'),
  () => import('./console.js'),
  () => import('./nc.js'),
  () => import('./fetch.js'),
  () => import('./doctor.js'),
];
