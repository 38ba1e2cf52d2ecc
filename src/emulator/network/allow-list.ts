import { isIPv4 } from 'node:net';
import { hostTable, HostTableError, lookupHost } from './host-table.js';
import {
  NetworkError,
  type Endpoint,
  type Network,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpListener,
  type TcpListenOptions,
  type UdpBindOptions,
  type UdpHandlers,
  type NetworkUdpSocket,
} from './types.js';

/**
 * `--allow HOST[:PORT]`: the destinations the emulator may open TCP connections to and send UDP
 * datagrams to. The emulator is a network proxy for whoever reaches its AT port; before exposing
 * that port beyond loopback, this keeps it from reaching anything but the servers it is meant for.
 *
 * HOST is an IPv4 address, an IPv4 CIDR block (`127.0.0.0/8`) or a name of the static host table
 * (`--host NAME=IP`: the rule is that address). Names are never sent to a resolver here: sockets
 * are opened to addresses, and a name's address from a resolver can change under the rule.
 * PORT (1–65535) is optional; without it every port of HOST is allowed.
 *
 * A refused destination is answered as the module answers an unreachable host: the connect fails
 * as unreachable (`+CIPOPEN: <n>,1`, `CONNECT FAIL` in transparent mode) and a datagram's send
 * fails (`+CIPSEND: <n>,<len>,-1`). Listening sockets, name resolution and what peers send in are
 * not governed by the list (`--listen-host` and `--hosts-only` are).
 */

/** One `--allow` value as typed: HOST (address, CIDR or name) and an optional port. */
export interface AllowRuleText {
  readonly host: string;
  readonly port: number | undefined;
}

/** A rule with its host resolved to an address block. */
export interface AllowRule {
  /** What the user typed, for messages. */
  readonly text: string;
  /** Network address as an unsigned 32-bit number, and the prefix length (32: one address). */
  readonly network: number;
  readonly prefix: number;
  readonly port: number | undefined;
}

export class AllowRuleError extends Error {
  override readonly name = 'AllowRuleError';
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;

/** `HOST[:PORT]` → its parts; throws AllowRuleError on anything else (IPv6 included). */
export function parseAllowRule(value: string): AllowRuleText {
  if (value.startsWith('[') || (value.match(/:/g) ?? []).length > 1) {
    throw new AllowRuleError(`${value}: only IPv4 destinations can be allowed (the module's sockets are IPv4)`);
  }
  const match = /^([^:\s]+)(?::(\d+))?$/.exec(value);
  if (match === null) throw new AllowRuleError(`${JSON.stringify(value)}: expected HOST[:PORT], e.g. 127.0.0.1, 127.0.0.0/8:7 or echo.test:80`);
  const host = match[1] as string;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && !(port >= 1 && port <= 65535)) throw new AllowRuleError(`${value}: the port must be 1 to 65535`);
  const cidr = /^([\d.]+)\/(\d+)$/.exec(host);
  if (cidr !== null) {
    const prefix = Number(cidr[2]);
    if (!isIPv4(cidr[1] as string) || !(prefix >= 0 && prefix <= 32)) throw new AllowRuleError(`${value}: expected an IPv4 block such as 127.0.0.0/8`);
  } else if (!isIPv4(host) && (/^[\d.]+$/.test(host) || !NAME.test(host))) {
    throw new AllowRuleError(`${value}: HOST must be an IPv4 address, an IPv4 block (a.b.c.d/n) or a host name`);
  }
  return { host, port };
}

/** Resolve a rule's host: a name must be in the static host table (`hosts`, case-insensitive). */
export function resolveAllowRule(rule: AllowRuleText, hosts: ReadonlyMap<string, string>): AllowRule {
  const text = rule.port === undefined ? rule.host : `${rule.host}:${rule.port}`;
  const [address, prefixText] = rule.host.split('/') as [string, string | undefined];
  let ip = address;
  if (!isIPv4(address)) {
    const fixed = lookupHost(hosts, address);
    if (fixed === undefined) throw new AllowRuleError(`${text}: ${address} is not in the static host table (add --host ${address}=IP)`);
    ip = fixed;
  }
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  return { text, network: (ipv4ToNumber(ip) & mask(prefix)) >>> 0, prefix, port: rule.port };
}

export class AllowList {
  constructor(readonly rules: readonly AllowRule[]) {}

  /**
   * Build from `--allow` texts and the static host table; throws AllowRuleError (a name given
   * twice in the table, in any case, too: the rule and the resolver must mean the same entry).
   */
  static from(values: readonly string[], hosts: ReadonlyMap<string, string> = new Map()): AllowList {
    let table: ReadonlyMap<string, string>;
    try {
      table = hostTable(hosts);
    } catch (err) {
      if (err instanceof HostTableError) throw new AllowRuleError(`the host table: ${err.message}`);
      throw err;
    }
    return new AllowList(values.map((value) => resolveAllowRule(parseAllowRule(value), table)));
  }

  /** Whether `to` matches a rule. Only IPv4 destinations can. */
  allows(to: Endpoint): boolean {
    const address = to.address.startsWith('::ffff:') ? to.address.slice(7) : to.address;
    if (!isIPv4(address)) return false;
    const ip = ipv4ToNumber(address);
    return this.rules.some((r) => (ip & mask(r.prefix)) >>> 0 === r.network && (r.port === undefined || r.port === to.port));
  }
}

/** What was refused, for the operator's log. */
export interface Refusal {
  readonly kind: 'tcp' | 'udp';
  readonly to: Endpoint;
}

export interface AllowListNetworkOptions {
  /** Called for every refused connect or datagram. */
  readonly onRefused?: (refusal: Refusal) => void;
}

/** A Network that opens TCP connections and sends UDP datagrams only to what `list` allows. */
export class AllowListNetwork implements Network {
  constructor(
    readonly inner: Network,
    readonly list: AllowList,
    private readonly options: AllowListNetworkOptions = {},
  ) {}

  get available(): boolean | undefined {
    return this.inner.available;
  }

  resolve(name: string): Promise<string> {
    return this.inner.resolve(name);
  }

  connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    const to = { address: options.host, port: options.port };
    if (!this.list.allows(to)) return Promise.reject(this.refuse('tcp', to));
    return this.inner.connectTcp(options);
  }

  async bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket> {
    return new AllowListUdpSocket(await this.inner.bindUdp(options), this);
  }

  listenTcp(options: TcpListenOptions): Promise<TcpListener> {
    return this.inner.listenTcp(options);
  }

  /** @internal Log a refusal and give the error the module's code path treats as unreachable. */
  refuse(kind: Refusal['kind'], to: Endpoint): NetworkError {
    this.options.onRefused?.({ kind, to });
    return new NetworkError('unreachable', `${to.address}:${to.port} is not allowed (--allow)`);
  }
}

class AllowListUdpSocket implements NetworkUdpSocket {
  readonly local: Endpoint;

  constructor(
    private readonly inner: NetworkUdpSocket,
    private readonly network: AllowListNetwork,
  ) {
    this.local = inner.local;
  }

  attach(handlers: UdpHandlers): void {
    this.inner.attach(handlers);
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    if (!this.network.list.allows(to)) return Promise.reject(this.network.refuse('udp', to));
    return this.inner.send(data, to);
  }

  close(): void {
    this.inner.close();
  }
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}
