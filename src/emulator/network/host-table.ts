/**
 * The static host table (`--host NAME=IP`): one place that says how names compare, so the resolver
 * (RealNetwork), the allow list (`--allow NAME`) and anything else that looks a name up agree on
 * which entry a name means. DNS names compare ignoring ASCII case (RFC 4343); a name given twice —
 * in any case — is an error, not "first wins" in one place and "last wins" in another.
 */
export class HostTableError extends Error {
  override readonly name = 'HostTableError';
}

/** The form names are kept and compared in. */
export function hostKey(name: string): string {
  return name.toLowerCase();
}

/** `table` plus NAME=IP; throws HostTableError when NAME (ignoring case) is already there. */
export function withHostEntry(table: ReadonlyMap<string, string>, name: string, ip: string): ReadonlyMap<string, string> {
  const key = hostKey(name);
  const before = lookupHost(table, key);
  if (before !== undefined) {
    throw new HostTableError(`${name} is given twice (already ${before}; names compare ignoring case)`);
  }
  return new Map([...table, [key, ip]]);
}

/** A host table from entries in any case; throws HostTableError on a name given twice. */
export function hostTable(entries: Iterable<readonly [string, string]>): ReadonlyMap<string, string> {
  let table: ReadonlyMap<string, string> = new Map();
  for (const [name, ip] of entries) table = withHostEntry(table, name, ip);
  return table;
}

/** The address of `name` in `table` (built by hostTable or not), or undefined. */
export function lookupHost(table: ReadonlyMap<string, string>, name: string): string | undefined {
  const key = hostKey(name);
  const exact = table.get(key);
  if (exact !== undefined) return exact;
  for (const [entry, ip] of table) if (hostKey(entry) === key) return ip;
  return undefined;
}
