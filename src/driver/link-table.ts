/**
 * The driver's link table: the one owner of what the host knows about the module's ten links
 * (state, type, remote, server, transparent, closing, and the socket that owns it), the
 * reservation of a free link, the wait for one to be released, and which link pushed `+IPD` data
 * belongs to. An owner lives as long as the link's reservation: releasing the link forgets it.
 */
import type { Clock } from '../time/clock.js';
import { AtTimeoutError, ChannelClosedError, DriverStateError } from './errors.js';
import type { RemoteAddress } from '../at/module-output-framer.js';

import { LINK_COUNT } from '../at/limits.js';

export { LINK_COUNT };

export type LinkState = 'free' | 'reserved' | 'open' | 'closed';

/** What a link's owner (a socket) is told. Called synchronously from the Modem's events, in wire order. */
export interface LinkUser {
  /** Pushed bytes (`+IPD`/`+RECEIVE`), or transparent bytes of link 0; `from` per `RECV FROM`. */
  linkData(bytes: Buffer, from: RemoteAddress | undefined): void;
  /** Buffer mode: `+CIPRXGET: 1,<link>`, the module holds data for the link. */
  linkReadable(): void;
  /** The module closed the link: `+IPCLOSE: <link>,<reason>` (1 = by the peer), `CLOSED`. */
  linkClosed(reason: number): void;
  /** The link is unusable for a reason outside it: network lost, module reset, transport gone. */
  linkFailed(error: Error): void;
}

export interface Link {
  state: LinkState;
  type: 'tcp' | 'udp' | undefined;
  remote: RemoteAddress | undefined;
  server: number | undefined;
  /** Link 0 in transparent (data) mode. */
  transparent: boolean;
  /** The host asked to close it (AT+CIPCLOSE in progress). */
  closing: boolean;
  /** The socket the link's events go to (`claim`), once it has one. */
  owner: LinkUser | undefined;
  /** Buffer mode: `+CIPRXGET: 1` came before the owner (an accepted client's first data); told on `claim`. */
  readableUnclaimed: boolean;
}

export function freshLink(): Link {
  return { state: 'free', type: undefined, remote: undefined, server: undefined, transparent: false, closing: false, owner: undefined, readableUnclaimed: false };
}

export function checkLink(link: number): void {
  if (!Number.isInteger(link) || link < 0 || link >= LINK_COUNT) throw new RangeError(`link ${link} is not 0–${LINK_COUNT - 1}`);
}

export class LinkTable {
  private readonly clock: Clock;
  private readonly entries: Link[] = Array.from({ length: LINK_COUNT }, () => freshLink());
  /** Connects waiting for a link to be released (transparent mode's link 0), in order. */
  private readonly freeWaiters = new Map<number, (() => void)[]>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  at(link: number): Link {
    return this.entries[link] as Link;
  }

  /** Replace a link's entry (an accepted client arrives open). */
  set(link: number, entry: Link): void {
    this.entries[link] = entry;
  }

  /** Reserve a free link (the preferred one, else the highest free: accepts take the lowest). */
  allocate(preferred?: number): number {
    if (preferred !== undefined) {
      checkLink(preferred);
      if (this.at(preferred).state !== 'free') throw new DriverStateError(`link ${preferred} is ${this.at(preferred).state}`);
      this.at(preferred).state = 'reserved';
      return preferred;
    }
    for (let link = LINK_COUNT - 1; link >= 0; link--) {
      if (this.at(link).state === 'free') {
        this.at(link).state = 'reserved';
        return link;
      }
    }
    throw new DriverStateError(`no free link (all ${LINK_COUNT} in use)`);
  }

  /** Give a link back (after its close, or when an open failed). */
  release(link: number): void {
    checkLink(link);
    this.entries[link] = freshLink();
    // Every waiter looks again, in the order they came; the first takes the link, the rest wait on.
    for (const wake of this.freeWaiters.get(link)?.splice(0) ?? []) wake();
  }

  /**
   * Resolves when `link` is free (at once if it is); waiters look in the order they came, and the
   * one that resolves must take the link at once (`allocateLink`). Rejects with `AtTimeoutError`
   * after `timeoutMs`.
   */
  async whenFree(link: number, timeoutMs: number, closed: () => boolean): Promise<void> {
    checkLink(link);
    const deadline = this.clock.now() + timeoutMs;
    while (this.at(link).state !== 'free') {
      if (closed()) throw new ChannelClosedError(`link ${link}`);
      const left = deadline - this.clock.now();
      if (left <= 0) throw new AtTimeoutError('', `link ${link} to be free (a transparent connect waits for the one before it)`, timeoutMs);
      await new Promise<void>((resolve) => {
        const queue = this.freeWaiters.get(link) ?? [];
        this.freeWaiters.set(link, queue);
        const wake = (): void => {
          timer.cancel();
          resolve();
        };
        const timer = this.clock.setTimeout(() => {
          const i = queue.indexOf(wake);
          if (i >= 0) queue.splice(i, 1);
          resolve();
        }, left);
        queue.push(wake);
      });
    }
  }

  state(link: number): LinkState {
    checkLink(link);
    return this.at(link).state;
  }

  /** Tell the router who is on the other end of a link (so `RECV FROM` can pick it). */
  setRemote(link: number, remote: RemoteAddress): void {
    checkLink(link);
    this.at(link).remote = remote;
  }

  markClosed(link: number): void {
    const entry = this.at(link);
    if (entry.state === 'open') entry.state = 'closed';
  }

  /** The socket that owns `link`, if any. */
  owner(link: number): LinkUser | undefined {
    return this.at(link).owner;
  }

  /** Every link's owner, in link order. */
  owners(): LinkUser[] {
    return this.entries.flatMap((entry) => (entry.owner === undefined ? [] : [entry.owner]));
  }

  /**
   * `user` owns `link` from now on; returns true when a buffer-mode notice came before it (the
   * caller tells the owner once it is ready).
   */
  claim(link: number, user: LinkUser): boolean {
    checkLink(link);
    const entry = this.at(link);
    entry.owner = user;
    const readable = entry.readableUnclaimed;
    entry.readableUnclaimed = false;
    return readable;
  }

  /** `user` no longer owns `link` (a later owner's claim stays). */
  disown(link: number, user: LinkUser): void {
    checkLink(link);
    const entry = this.at(link);
    if (entry.owner === user) entry.owner = undefined;
  }

  /** Forget every owner and every notice waiting for one (all sockets were failed). */
  disownAll(): void {
    for (const entry of this.entries) {
      entry.owner = undefined;
      entry.readableUnclaimed = false;
    }
  }

  /** Buffer mode: `+CIPRXGET: 1,<link>` for a link nobody owns yet: kept for its owner. */
  noteUnclaimedReadable(link: number): void {
    this.at(link).readableUnclaimed = true;
  }

  /** Mark every open link closed (network lost, module restarted, NETCLOSE). */
  closeAll(): void {
    for (let link = 0; link < LINK_COUNT; link++) this.markClosed(link);
  }

  /** The link `+IPD` data belongs to (it carries no number): by RECV FROM, else the only open link. */
  routePush(from: RemoteAddress | undefined): number | undefined {
    const open: number[] = [];
    for (let link = 0; link < LINK_COUNT; link++) if (this.at(link).state === 'open') open.push(link);
    if (from !== undefined) {
      const tcp = open.filter((l) => {
        const r = this.at(l).remote;
        return this.at(l).type !== 'udp' && r !== undefined && r.address === from.address && r.port === from.port;
      });
      if (tcp.length === 1) return tcp[0];
      const udp = open.filter((l) => this.at(l).type === 'udp');
      if (tcp.length === 0 && udp.length === 1) return udp[0];
    }
    return open.length === 1 ? open[0] : undefined;
  }
}
