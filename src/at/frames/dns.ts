/** The AT+CDNSGIP answers (spec §2.2.17, §5.3): the addresses of a name, or its failure code. */

/** `+CDNSGIP: 1,"<name>","<ip>"[,"<ip>"]`: the name resolved. */
export function formatDnsResult(name: string, addresses: readonly string[]): string {
  return `+CDNSGIP: 1,"${name}"${addresses.map((a) => `,"${a}"`).join('')}`;
}

/** The addresses of a `+CDNSGIP: 1,…` line (empty for none); undefined when the line is not one. */
export function parseDnsResult(line: string): string[] | undefined {
  const m = /^\+CDNSGIP: ?\d+,"[^"]*"((?:,"[^"]*")+)$/.exec(line);
  if (m === null) return undefined;
  const addresses: string[] = [];
  for (const part of (m[1] as string).split(',')) if (part !== '') addresses.push(part.replace(/^"|"$/g, ''));
  return addresses;
}

/** `+CDNSGIP: 0,<code>`: the lookup failed (spec §5.3; 10 = general error), then ERROR. */
export function formatDnsError(code: number): string {
  return `+CDNSGIP: 0,${code}`;
}

export function parseDnsError(line: string): number | undefined {
  const m = /^\+CDNSGIP: ?0, ?(\d+)$/.exec(line);
  return m === null ? undefined : Number(m[1]);
}
