import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUBCOMMANDS } from '../../src/cli/subcommands.js';
import { ROOT } from '../support/cli.js';

/**
 * The README and `--help` stay in step: every flag each subcommand's commander definition declares
 * (which is what its `--help` prints) has a row in a README flags table naming that subcommand,
 * and every row is a real flag. A flag added later needs only its README row.
 *
 * A flags table is the first table after a heading containing "flags"; the heading names the
 * subcommands it covers in backticks (`a76xx emulate`, or `console`, `nc` for a shared table).
 */
interface FlagsTable {
  readonly heading: string;
  readonly subcommands: readonly string[];
  readonly flags: ReadonlySet<string>;
}

function readmeTables(text: string, names: readonly string[]): FlagsTable[] {
  const lines = text.split('\n');
  const tables: FlagsTable[] = [];
  lines.forEach((line, index) => {
    if (!/^#+ .*flags/i.test(line)) return;
    const subcommands = [...line.matchAll(/`(?:a76xx )?([a-z]+)`/g)].map((m) => m[1] as string).filter((n) => names.includes(n));
    let at = index + 1;
    while (at < lines.length && !(lines[at] as string).startsWith('|') && !(lines[at] as string).startsWith('#')) at++;
    const flags = new Set<string>();
    for (; at < lines.length && (lines[at] as string).startsWith('|'); at++) {
      const first = (lines[at] as string).split('|')[1] ?? '';
      for (const m of first.matchAll(/(?<![\w-])(--[a-z][a-z-]*)/g)) flags.add(m[1] as string);
    }
    tables.push({ heading: line, subcommands, flags });
  });
  return tables;
}

test('README: every flag of every subcommand is in its flags table, and every row is a real flag', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const commands = await Promise.all(SUBCOMMANDS.map(async (load) => (await load()).command()));
  const names = commands.map((c) => c.name());
  const tables = readmeTables(readme, names);
  for (const command of commands) {
    const name = command.name();
    const declared = new Set(command.options.map((o) => o.long).filter((f): f is string => f !== undefined && f !== '--help' && f !== '--version'));
    const covering = tables.filter((t) => t.subcommands.includes(name));
    assert.ok(covering.length > 0, `README has no flags table for \`a76xx ${name}\` (a heading like "### \`a76xx ${name}\` flags")`);
    const documented = new Set(covering.flatMap((t) => [...t.flags]));
    const missing = [...declared].filter((f) => !documented.has(f));
    const extra = [...documented].filter((f) => !declared.has(f));
    assert.deepEqual(missing, [], `a76xx ${name}: flags missing from the README (${covering.map((t) => t.heading).join('; ')})`);
    assert.deepEqual(extra, [], `a76xx ${name}: README rows for flags it does not have`);
  }
});
