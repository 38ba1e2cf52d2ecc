/**
 * Commands whose outcome comes after their `OK` (spec §1.6, "OK first, result later"): the piped
 * console waits for these lines before it sends the next command, so `AT+NETOPEN` then
 * `AT+CIPOPEN=…` works as typed. A completion may also come before the `OK` (UDP opens and closes
 * do that); either order ends the wait. An error result ends it at once (no completion follows).
 *
 * `AT+CIPSEND`'s completion belongs to the data sent after its `>` prompt.
 */
const COMPLETIONS: readonly (readonly [RegExp, (link: string) => RegExp])[] = [
  [/^AT\+NETOPEN$/i, () => /^\+NETOPEN: /],
  [/^AT\+NETCLOSE$/i, () => /^\+NETCLOSE: /],
  [/^AT\+CIPOPEN=(\d+),/i, (link) => new RegExp(`^\\+CIPOPEN: ${link},`)],
  [/^AT\+CIPSEND=(\d+)(?:,|$)/i, (link) => new RegExp(`^\\+CIPSEND: ${link},`)],
  [/^AT\+CIPCLOSE=(\d+)$/i, (link) => new RegExp(`^\\+CIPCLOSE: ${link},`)],
  [/^AT\+SERVERSTOP=(\d+)$/i, (link) => new RegExp(`^\\+SERVERSTOP: ${link},`)],
];

/** The line that completes `command` after its final result, or undefined for an ordinary command. */
export function completionOf(command: string): RegExp | undefined {
  const text = command.trim();
  for (const [pattern, completion] of COMPLETIONS) {
    const match = pattern.exec(text);
    if (match !== null) return completion(match[1] ?? '');
  }
  return undefined;
}

/**
 * `@wait PATTERN` in piped console input: wait for a module line matching PATTERN (`/regex/flags`,
 * or else a plain substring) before going on. Returns undefined for any other line.
 */
export function waitDirective(line: string): RegExp | undefined {
  const match = /^@wait\s+(.+?)\s*$/.exec(line);
  if (match === null) return undefined;
  const pattern = match[1] as string;
  const regex = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (regex !== null) return new RegExp(regex[1] as string, regex[2]);
  return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
