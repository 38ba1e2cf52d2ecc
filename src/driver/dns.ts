/**
 * Name resolution through the module (`AT+CDNSGIP`, spec §2.2.17), as a function with the shape of
 * `dns.lookup`, so it can be handed to code that takes a `lookup` option.
 */
import { isIP } from 'node:net';
import { toError } from '../common/errors.js';

export type LookupFamily = 0 | 4 | 6 | 'IPv4' | 'IPv6';

export interface LookupOptions {
  readonly family?: LookupFamily;
  readonly all?: boolean;
  /** Accepted and ignored (`dns.lookup` options the module has no use for). */
  readonly hints?: number;
  readonly verbatim?: boolean;
  readonly order?: string;
}

export interface LookupAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type LookupCallback = (error: Error | null, address: string, family: number) => void;
export type LookupAllCallback = (error: Error | null, addresses: LookupAddress[]) => void;

export interface LookupFunction {
  (hostname: string, callback: LookupCallback): void;
  (hostname: string, options: number | (LookupOptions & { all?: false }), callback: LookupCallback): void;
  (hostname: string, options: LookupOptions & { all: true }, callback: LookupAllCallback): void;
  (hostname: string, options: LookupOptions, callback: LookupCallback | LookupAllCallback): void;
}

/** `resolve(host, family)` gives the addresses (rejecting with a DnsLookupError); IP literals never reach it. */
export function makeLookup(resolve: (hostname: string, family: 0 | 4 | 6) => Promise<string[]>): LookupFunction {
  return ((hostname: string, options: unknown, callback?: unknown) => {
    const done = (typeof options === 'function' ? options : callback) as LookupCallback | LookupAllCallback;
    if (typeof done !== 'function') throw new TypeError('lookup: a callback is required');
    const opts: LookupOptions = typeof options === 'number' ? { family: options as LookupFamily } : typeof options === 'object' && options !== null ? (options as LookupOptions) : {};
    const family = familyNumber(opts.family);
    const all = opts.all === true;
    const answer = (error: Error | null, addresses: string[]): void => {
      const list = addresses.map((address) => ({ address, family: (isIP(address) === 6 ? 6 : 4) as 4 | 6 }));
      if (all) (done as LookupAllCallback)(error, error === null ? list : []);
      else if (error !== null || list[0] === undefined) (done as LookupCallback)(error, '', 0);
      else (done as LookupCallback)(null, list[0].address, list[0].family);
    };
    const literal = isIP(hostname);
    if (literal !== 0) {
      process.nextTick(() => answer(null, [hostname]));
      return;
    }
    resolve(hostname, family).then(
      (addresses) => answer(null, addresses),
      (error: unknown) => answer(toError(error), []),
    );
  }) as LookupFunction;
}

export function familyNumber(family: LookupFamily | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
