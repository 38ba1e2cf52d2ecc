/**
 * `HOST:PORT` as people type and read it — the AT port's `--tcp`, the control API's `--control`,
 * `a76xx ctl --control` — parsed and printed one way (IPv6 hosts in brackets).
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where every listener of this package binds unless told otherwise: loopback, never the world. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * `PORT`, `HOST:PORT`, `:PORT` or `[IPv6]:PORT`; HOST defaults to 127.0.0.1, PORT 0 is allowed
 * (a free port). Throws a RangeError whose message shows the form with `examplePort`.
 */
export function parseHostPort(value: string, examplePort: number): HostPort {
  const match = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new RangeError(`expected [HOST:]PORT, e.g. ${examplePort}, 127.0.0.1:${examplePort} or [::1]:${examplePort}`);
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? LOOPBACK_HOST : host, port };
}

/** `127.0.0.1:7070`, `[::1]:7070`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
