/**
 * What a URC handler may touch: the link table and a few narrow operations, never the Modem or the
 * channel themselves (a leaf: handlers depend on this, the Modem provides it).
 */
import type { NetworkLostError } from '../errors.js';
import type { LinkTable } from '../link-table.js';
import type { AcceptedClient } from '../modem-types.js';

export interface UrcContext {
  readonly links: LinkTable;
  /** Reject the completions still awaited for commands `matches` picks (they will never come). */
  failCompletions(matches: (command: string) => boolean, error: Error): void;
  /** CIPMODE=1: server 0's client is link 0 in data mode. */
  readonly transparent: boolean;
  /** The socket service is gone (network lost): the Modem forgets it was open. */
  networkDown(): void;
  readable(link: number): void;
  linkClosed(link: number, reason: number): void;
  client(client: AcceptedClient): void;
  networkLost(error: NetworkLostError): void;
}

export interface UrcHandlerSpec {
  readonly prefix: string;
  readonly handle: (context: UrcContext, line: string) => void;
}
