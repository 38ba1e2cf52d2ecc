import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import type { Network } from './types.js';

export interface RealNetworkOptions {
  /** Static host table, consulted before the system resolver (`--host NAME=IP`). */
  readonly hosts?: ReadonlyMap<string, string>;
  /** Resolve only through the static table (tests, sealed CI). */
  readonly staticOnly?: boolean;
}

/** The network of the host machine: Node's `net`, `dgram` and `dns`. */
export class RealNetwork implements Network {
  private readonly hosts: ReadonlyMap<string, string>;
  private readonly staticOnly: boolean;

  constructor(options: RealNetworkOptions = {}) {
    this.hosts = new Map([...(options.hosts ?? new Map<string, string>())].map(([k, v]) => [k.toLowerCase(), v]));
    this.staticOnly = options.staticOnly ?? false;
  }

  async resolve(name: string): Promise<string> {
    if (isIPv4(name)) return name;
    const fixed = this.hosts.get(name.toLowerCase());
    if (fixed !== undefined) return fixed;
    if (this.staticOnly) throw new Error(`${name}: not in the static host table`);
    const { address } = await lookup(name, { family: 4 });
    return address;
  }
}
