import { isIPv4 } from 'node:net';
import { realClock, type Clock, type Timer } from '../clock.js';
import {
  NetworkError,
  type Endpoint,
  type Network,
  type TcpCloseCause,
  type TcpConnection,
  type NetworkTcpConnectOptions,
  type TcpHandlers,
  type TcpListener,
  type TcpListenerHandlers,
  type TcpListenOptions,
  type UdpBindOptions,
  type UdpHandlers,
  type NetworkUdpSocket,
} from './types.js';

/**
 * A Network over any other one (normally the real one) that adds what a cellular link does to
 * traffic, and the faults the control plane injects: latency, a bandwidth limit, DNS failure,
 * refused connects, an outage, and a peer that closes or resets a connection on command.
 *
 * With its default conditions (no latency, no limit, no fault) every call and every event passes
 * straight through, synchronously and in order, so installing it costs nothing.
 *
 * Time is the injected clock. Packets of each direction share one pipe of `bandwidthBps` (as the
 * radio link is shared), then travel `latencyMs`; each connection keeps its own order.
 */
export interface NetworkConditions {
  /** One-way delay of every packet, in ms: a connect or a DNS query takes two of them. */
  readonly latencyMs: number;
  /** Bits per second each way, shared by all sockets; 0 is unlimited. */
  readonly bandwidthBps: number;
  /** Name resolution fails (IPv4 literals need none and still work). */
  readonly dnsFail: boolean;
  /** New outgoing TCP connections are refused, as by an RST answering the SYN. */
  readonly refuseConnections: boolean;
  /** Nothing gets through: connects fail as unreachable, names do not resolve, datagrams vanish. */
  readonly down: boolean;
}

export const NORMAL_CONDITIONS: NetworkConditions = {
  latencyMs: 0,
  bandwidthBps: 0,
  dnsFail: false,
  refuseConnections: false,
  down: false,
};

/** Largest piece a limited pipe carries at once (a TCP segment on a 1500-byte MTU). */
const SEGMENT_BYTES = 1460;

export interface SimulatedNetworkOptions {
  readonly clock?: Clock;
  readonly conditions?: Partial<NetworkConditions>;
}

/** Bytes in flight through the simulation (not yet delivered at the far end). */
export interface InFlight {
  readonly uplinkBytes: number;
  readonly downlinkBytes: number;
}

export class SimulatedNetwork implements Network {
  readonly clock: Clock;
  private current: NetworkConditions;
  /** The host → network and network → host pipes, shared by every socket. */
  readonly uplink: Pipe;
  readonly downlink: Pipe;
  private readonly live = new Set<SimulatedTcpConnection>();
  private holding = false;

  constructor(
    readonly inner: Network,
    options: SimulatedNetworkOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.current = { ...NORMAL_CONDITIONS, ...options.conditions };
    this.uplink = new Pipe(this);
    this.downlink = new Pipe(this);
  }

  get conditions(): NetworkConditions {
    return this.current;
  }

  /** Change some conditions; packets already in flight keep their schedule. */
  set(changes: Partial<NetworkConditions>): NetworkConditions {
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      if ((key === 'latencyMs' || key === 'bandwidthBps') && (typeof value !== 'number' || !(value >= 0))) {
        throw new RangeError(`${key} must be a number >= 0`);
      }
    }
    const c = this.current;
    this.current = {
      latencyMs: changes.latencyMs ?? c.latencyMs,
      bandwidthBps: changes.bandwidthBps ?? c.bandwidthBps,
      dnsFail: changes.dnsFail ?? c.dnsFail,
      refuseConnections: changes.refuseConnections ?? c.refuseConnections,
      down: changes.down ?? c.down,
    };
    return this.current;
  }

  /** A PDP context can come up (NETOPEN succeeds) unless the network is down. */
  get available(): boolean {
    return !this.current.down;
  }

  /** An echo there and back: two one-way delays (plus the inner network's), none while down. */
  pingRoundTrip(address: string): number | null {
    if (this.current.down) return null;
    const inner = this.inner.pingRoundTrip?.(address);
    return inner === null ? null : 2 * this.current.latencyMs + (inner ?? 0);
  }

  /** Whether traffic passes untouched right now (no delay of any kind). */
  get transparent(): boolean {
    return this.current.latencyMs === 0 && this.current.bandwidthBps === 0;
  }

  /**
   * Hold back what arrives for the module (the module cannot take more: its serial line is behind).
   * TCP connections stop delivering and stop reading, so their peers feel TCP back-pressure;
   * datagrams arriving meanwhile are dropped, as a full buffer drops them.
   */
  holdDelivery(hold: boolean): void {
    if (hold === this.holding) return;
    this.holding = hold;
    for (const connection of this.live) connection.setHeld(hold);
  }

  get holdingDelivery(): boolean {
    return this.holding;
  }

  /** TCP connections made through this network and not ended yet. */
  get connections(): readonly SimulatedTcpConnection[] {
    return [...this.live];
  }

  get inFlight(): InFlight {
    return { uplinkBytes: this.uplink.bytesInFlight, downlinkBytes: this.downlink.bytesInFlight };
  }

  async resolve(name: string): Promise<string> {
    if (isIPv4(name)) return name;
    const c = this.current;
    if (c.down) throw new NetworkError('not-found', `${name}: the network is down`);
    await this.delay(2 * c.latencyMs);
    if (this.current.dnsFail) throw new NetworkError('not-found', `${name}: DNS failure (injected)`);
    return this.inner.resolve(name);
  }

  async connectTcp(options: NetworkTcpConnectOptions): Promise<TcpConnection> {
    if (this.current.down) throw new NetworkError('unreachable', 'the network is down');
    // The SYN travels, the answer comes back: one latency each way.
    await this.delay(this.current.latencyMs, options.signal);
    if (this.current.refuseConnections) {
      await this.delay(this.current.latencyMs, options.signal);
      throw new NetworkError('refused', `${options.host}:${options.port}: connection refused (injected)`);
    }
    const connection = await this.inner.connectTcp(options);
    try {
      await this.delay(this.current.latencyMs, options.signal);
    } catch (err) {
      connection.abort();
      throw err;
    }
    return this.track(new SimulatedTcpConnection(connection, this));
  }

  async bindUdp(options: UdpBindOptions): Promise<NetworkUdpSocket> {
    return new SimulatedUdpSocket(await this.inner.bindUdp(options), this);
  }

  async listenTcp(options: TcpListenOptions): Promise<TcpListener> {
    return new SimulatedTcpListener(await this.inner.listenTcp(options), this);
  }

  /** @internal An accepted or connected connection, known until it ends. */
  track(connection: SimulatedTcpConnection): SimulatedTcpConnection {
    this.live.add(connection);
    connection.onEnd = () => this.live.delete(connection);
    if (this.holding) connection.setHeld(true);
    return connection;
  }

  /** Wait `ms` on the clock (not at all for 0); an abort rejects with `aborted`. */
  private delay(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new NetworkError('aborted', 'aborted'));
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        timer.cancel();
        reject(new NetworkError('aborted', 'aborted'));
      };
      const timer = this.clock.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

// ---------------------------------------------------------------- pipes and lanes

/** One direction of the shared link: serialises packets at the bandwidth limit. */
class Pipe {
  private busyUntil = 0;
  bytesInFlight = 0;

  constructor(private readonly network: SimulatedNetwork) {}

  /** When a packet of `bytes` handed over now arrives at the far end. */
  arrival(bytes: number): number {
    const now = this.network.clock.now();
    const { bandwidthBps, latencyMs } = this.network.conditions;
    let sent = now;
    if (bandwidthBps > 0 && bytes > 0) {
      sent = Math.max(now, this.busyUntil) + (bytes * 8 * 1000) / bandwidthBps;
      this.busyUntil = sent;
    }
    return sent + latencyMs;
  }
}

interface Packet {
  readonly at: number;
  readonly bytes: number;
  readonly deliver: () => void;
  /** Called instead of `deliver` when the packet is dropped. */
  readonly drop: (() => void) | undefined;
}

/** One direction of one socket: packets arrive in the order they were sent, each when due. */
class Lane {
  private queue: Packet[] = [];
  private timer: Timer | undefined;
  private lastAt = -Infinity;

  constructor(
    private readonly network: SimulatedNetwork,
    private readonly pipe: Pipe,
  ) {}

  get bytesQueued(): number {
    return this.queue.reduce((sum, p) => sum + p.bytes, 0);
  }

  /** Carry a packet of `bytes` (0 for a FIN or RST); `deliver` runs when it arrives, `drop` if it never will. */
  send(bytes: number, deliver: () => void, drop?: () => void): void {
    if (this.network.transparent && this.queue.length === 0) {
      deliver();
      return;
    }
    const at = Math.max(this.pipe.arrival(bytes), this.lastAt);
    this.lastAt = at;
    this.pipe.bytesInFlight += bytes;
    this.queue.push({ at, bytes, deliver, drop });
    this.arm();
  }

  /** Drop everything in flight (the socket was aborted). */
  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    const dropped = this.queue;
    this.queue = [];
    for (const p of dropped) {
      this.pipe.bytesInFlight -= p.bytes;
      p.drop?.();
    }
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    const head = this.queue[0];
    if (head === undefined) return;
    this.timer = this.network.clock.setTimeout(() => {
      this.timer = undefined;
      this.due();
    }, head.at - this.network.clock.now());
  }

  private due(): void {
    const now = this.network.clock.now();
    while (this.queue.length > 0 && (this.queue[0] as Packet).at <= now) {
      const packet = this.queue.shift() as Packet;
      this.pipe.bytesInFlight -= packet.bytes;
      packet.deliver();
    }
    this.arm();
  }
}

/**
 * Both directions of one socket (TCP or UDP). Each lane exists from its first packet on, so an
 * idle connection of an idle fleet has none.
 */
class Lanes {
  private upLane: Lane | undefined;
  private downLane: Lane | undefined;

  constructor(private readonly network: SimulatedNetwork) {}

  /** Module → peer. */
  get up(): Lane {
    return (this.upLane ??= new Lane(this.network, this.network.uplink));
  }

  /** Peer → module. */
  get down(): Lane {
    return (this.downLane ??= new Lane(this.network, this.network.downlink));
  }

  /** Bytes on their way, each direction (a lane not made yet carries none). */
  get inFlight(): InFlight {
    return { uplinkBytes: this.upLane?.bytesQueued ?? 0, downlinkBytes: this.downLane?.bytesQueued ?? 0 };
  }

  /** Drop what is in flight both ways. */
  clear(): void {
    this.upLane?.clear();
    this.downLane?.clear();
  }
}

/** Split `data` into pieces a limited pipe carries one by one. */
function segments(data: Buffer, limited: boolean): Buffer[] {
  if (!limited || data.length <= SEGMENT_BYTES) return [data];
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += SEGMENT_BYTES) parts.push(data.subarray(at, at + SEGMENT_BYTES));
  return parts;
}

// ---------------------------------------------------------------- TCP

type TcpEvent = { readonly kind: 'data'; readonly chunk: Buffer } | { readonly kind: 'closed'; readonly cause: TcpCloseCause };

/** How the simulated peer ends a connection: a FIN, or an RST. */
export type PeerClose = 'close' | 'reset';

export class SimulatedTcpConnection implements TcpConnection {
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** @internal Called once when the connection ended, either way. */
  onEnd: (() => void) | undefined;

  /** Its two directions on the shared link. */
  private readonly lanes: Lanes;
  private handlers: TcpHandlers | undefined;
  /** Arrived but not delivered: not attached yet, paused, or held. */
  private waiting: TcpEvent[] = [];
  /** The module asked (its receive buffer is full). */
  private paused = false;
  /** The network holds delivery (the module's serial line is behind). */
  private held = false;
  /** The module closed or aborted it: no more events, no more writes. */
  private finished = false;
  /** The peer's end is on its way to the module (from the real network, or injected). */
  private peerEnding = false;
  private queuedUp = 0;

  constructor(
    private readonly inner: TcpConnection,
    private readonly network: SimulatedNetwork,
  ) {
    this.local = inner.local;
    this.remote = inner.remote;
    this.lanes = new Lanes(network);
  }

  attach(handlers: TcpHandlers): void {
    this.handlers = handlers;
    this.inner.attach({
      data: (chunk) => {
        for (const piece of segments(chunk, this.network.conditions.bandwidthBps > 0)) {
          this.lanes.down.send(piece.length, () => this.arrive({ kind: 'data', chunk: piece }));
        }
      },
      closed: (cause) => {
        this.peerEnding = true;
        this.lanes.down.send(0, () => this.arrive({ kind: 'closed', cause }));
      },
    });
    this.flush();
  }

  write(data: Buffer): Promise<void> {
    // Until the peer's end reaches the module, the module may still write (the real socket decides).
    if (this.finished) return Promise.reject(new NetworkError('reset', 'connection is closed'));
    const pieces = segments(data, this.network.conditions.bandwidthBps > 0);
    const writes = pieces.map(
      (piece) =>
        new Promise<void>((resolve, reject) => {
          this.queuedUp += piece.length;
          this.lanes.up.send(
            piece.length,
            () => {
              this.queuedUp -= piece.length;
              this.inner.write(piece).then(resolve, reject);
            },
            () => {
              this.queuedUp -= piece.length;
              reject(new NetworkError('aborted', 'connection aborted'));
            },
          );
        }),
    );
    return writes.length === 1 ? (writes[0] as Promise<void>) : Promise.all(writes).then(() => undefined);
  }

  get pendingWriteBytes(): number {
    return this.queuedUp + this.inner.pendingWriteBytes;
  }

  pause(): void {
    this.paused = true;
    this.inner.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.held) this.inner.resume();
    this.flush();
  }

  /** @internal See `SimulatedNetwork.holdDelivery`. */
  setHeld(held: boolean): void {
    this.held = held;
    if (held) this.inner.pause();
    else if (!this.paused) this.inner.resume();
    this.flush();
  }

  close(): void {
    if (this.finished) return;
    this.stop();
    // The FIN follows the bytes still on their way up.
    this.lanes.up.send(0, () => this.inner.close());
  }

  abort(): void {
    if (this.finished) return;
    this.stop();
    this.lanes.up.clear();
    this.inner.abort();
  }

  /**
   * The peer closes (FIN) or resets (RST) the connection. The module learns it after the data
   * already on its way; the real peer behind sees the module's side close the same way.
   * Returns false when the connection had already ended.
   */
  closeByPeer(how: PeerClose): boolean {
    if (this.finished || this.peerEnding) return false;
    this.peerEnding = true;
    if (how === 'close') this.inner.close();
    else this.inner.abort();
    this.lanes.down.send(0, () => this.arrive({ kind: 'closed', cause: how === 'close' ? 'remote' : 'reset' }));
    return true;
  }

  /** Bytes on their way, each direction. */
  get inFlight(): InFlight {
    return this.lanes.inFlight;
  }

  private stop(): void {
    this.finished = true;
    this.handlers = undefined;
    this.waiting = [];
    this.lanes.down.clear();
    this.onEnd?.();
  }

  private arrive(event: TcpEvent): void {
    if (this.finished) return;
    this.waiting.push(event);
    this.flush();
  }

  private flush(): void {
    while (this.handlers !== undefined && this.waiting.length > 0) {
      const next = this.waiting[0] as TcpEvent;
      if (next.kind === 'data' && (this.paused || this.held)) return;
      this.waiting.shift();
      if (next.kind === 'data') {
        this.handlers.data(next.chunk);
      } else {
        const handlers = this.handlers;
        this.finished = true;
        this.handlers = undefined;
        this.waiting = [];
        this.onEnd?.();
        handlers.closed(next.cause);
      }
    }
  }
}

class SimulatedTcpListener implements TcpListener {
  readonly local: Endpoint;

  constructor(
    private readonly inner: TcpListener,
    private readonly network: SimulatedNetwork,
  ) {
    this.local = inner.local;
  }

  attach(handlers: TcpListenerHandlers): void {
    this.inner.attach({
      connection: (connection) => {
        if (this.network.conditions.down) {
          connection.abort();
          return;
        }
        handlers.connection(this.network.track(new SimulatedTcpConnection(connection, this.network)));
      },
    });
  }

  close(): void {
    this.inner.close();
  }
}

// ---------------------------------------------------------------- UDP

class SimulatedUdpSocket implements NetworkUdpSocket {
  readonly local: Endpoint;
  /** Its two directions on the shared link. */
  private readonly lanes: Lanes;
  private closed = false;

  constructor(
    private readonly inner: NetworkUdpSocket,
    private readonly network: SimulatedNetwork,
  ) {
    this.local = inner.local;
    this.lanes = new Lanes(network);
  }

  attach(handlers: UdpHandlers): void {
    this.inner.attach({
      message: (data, from) => {
        if (this.network.conditions.down || this.network.holdingDelivery) return;
        this.lanes.down.send(data.length, () => {
          if (!this.closed) handlers.message(data, from);
        });
      },
    });
  }

  send(data: Buffer, to: Endpoint): Promise<void> {
    if (this.closed) return Promise.reject(new NetworkError('failed', 'socket is closed'));
    // With the network down the datagram leaves the module and is lost, as UDP is.
    if (this.network.conditions.down) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.lanes.up.send(
        data.length,
        () => this.inner.send(data, to).then(resolve, reject),
        () => resolve(),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lanes.clear();
    this.inner.close();
  }
}
