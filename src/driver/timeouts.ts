/**
 * Vendor maximum response times (spec §2.3), kept as data. The channel waits this long for a
 * command's final result, and for its async completion (`+NETOPEN: 0`, `+CIPOPEN: n,e`, …).
 *
 * Keys: the command name as `parseCommandLine` gives it (`+NETOPEN`, `E`, `&V`), optionally with the
 * form's suffix (`+COPS=?` test, `+COPS=` set, `+CPIN?` read) for a form-specific time.
 */
import { parseCommandLine, type AtCommand } from '../at/syntax.js';

export const DEFAULT_MAX_RESPONSE_MS = 9_000;

export const MAX_RESPONSE_MS: Readonly<Record<string, number>> = {
  // Chapter 15; the first three are adjustable with AT+CIPTIMEOUT (3000–120000, default 120000).
  '+NETOPEN': 120_000,
  '+NETCLOSE': 120_000,
  '+CIPOPEN': 120_000,
  '+CIPCLOSE': 120_000,
  '+CIPSEND': 120_000,
  '+CIPRXGET': 9_000,
  '+CDNSGIP': 6_000,
  '+SERVERSTOP': 9_000,
  // 3GPP / basic commands with longer times.
  '+COPS=?': 60_000,
  '+COPS=': 60_000,
  '+CNMP=': 10_000,
  I: 120_000,
  E: 120_000,
  '&V': 120_000,
  '+SIMCOMATI': 120_000,
};

/**
 * Overrides by the same keys, plus `default` for every command the table does not list and `*` for
 * every command at all (a short `*` makes every wait short, e.g. in tests). Named keys win.
 */
export type TimeoutOverrides = Readonly<Record<string, number>>;

const FORM_SUFFIX = { exec: '', read: '?', test: '=?', set: '=' } as const;

/** The response time for one command line: the longest of the commands it carries. */
export function maxResponseMs(commandLine: string, overrides: TimeoutOverrides = {}): number {
  const fallback = overrides['*'] ?? overrides['default'] ?? DEFAULT_MAX_RESPONSE_MS;
  const commands = commandsOf(commandLine);
  if (commands.length === 0) return fallback;
  let ms = 0;
  for (const c of commands) ms = Math.max(ms, lookup(c, overrides) ?? fallback);
  return ms;
}

/** The response time keyed by a bare name (`+NETOPEN`), for completions and waits. */
export function timeFor(name: string, overrides: TimeoutOverrides = {}): number {
  return overrides[name] ?? overrides['*'] ?? MAX_RESPONSE_MS[name] ?? overrides['default'] ?? DEFAULT_MAX_RESPONSE_MS;
}

function lookup(c: AtCommand, overrides: TimeoutOverrides): number | undefined {
  const formKey = `${c.name}${FORM_SUFFIX[c.form]}`;
  return overrides[formKey] ?? overrides[c.name] ?? overrides['*'] ?? MAX_RESPONSE_MS[formKey] ?? MAX_RESPONSE_MS[c.name];
}

/** The commands of an `AT…` line; empty when it is not one (or does not parse). */
export function commandsOf(commandLine: string): AtCommand[] {
  if (!/^at/i.test(commandLine)) return [];
  try {
    return parseCommandLine(commandLine.slice(2));
  } catch {
    return [];
  }
}
