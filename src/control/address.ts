/** Where a control server listens: `[HOST:]PORT` as typed on the command line. */
export interface ControlAddress {
  readonly host: string;
  readonly port: number;
}

/** The control port when `--control` is given without one (the AT port's default, 7070, plus one). */
export const DEFAULT_CONTROL_PORT = 7071;

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`; HOST defaults to 127.0.0.1. Throws a RangeError otherwise. */
export function parseControlAddress(value: string): ControlAddress {
  const match = /^(?:(?:\[([^\]]+)\]|([^:]*)):)?(\d+)$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || !Number.isInteger(port) || port > 65535) {
    throw new RangeError('expected [HOST:]PORT, e.g. 7071, 127.0.0.1:7071 or [::1]:7071');
  }
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port };
}
