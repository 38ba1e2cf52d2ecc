/**
 * Reading the numbers of a result line the way drivers must (spec §1.4): real firmware and the
 * application note differ in spaces after `:` and `,`, so parsers allow one there; formatters
 * write the manual's form (no space after a comma).
 */

/** `<prefix>: <a>,<b>,…` → the numbers (`-1` allowed), or undefined when the line is not exactly that. */
export function numbersAfter(line: string, prefix: string, count: number): number[] | undefined {
  if (!line.startsWith(prefix)) return undefined;
  let rest = line.slice(prefix.length);
  if (rest.startsWith(' ')) rest = rest.slice(1);
  const parts = rest.split(',');
  if (parts.length !== count) return undefined;
  const values: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = i > 0 && parts[i]?.startsWith(' ') ? (parts[i] as string).slice(1) : (parts[i] as string);
    if (!/^-?\d+$/.test(part)) return undefined;
    values.push(Number(part));
  }
  return values;
}

/** `<ip>:<port>` as the module prints a peer (`+CLIENT:`, `RECV FROM:`): IPv6 unbracketed. */
export function formatPeer(address: string, port: number): string {
  return `${address}:${port}`;
}

/** `[::1]` → `::1`: the module may bracket an IPv6 address before `:<port>`. */
export function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}
