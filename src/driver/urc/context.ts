/** What a URC handler may touch on the Modem: the link table, the events, the channel. */
import type { AtChannel } from '../at-channel.js';
import type { NetworkLostError } from '../errors.js';
import type { LinkTable } from '../link-table.js';
import type { AcceptedClient } from '../modem.js';

export interface UrcContext {
  readonly links: LinkTable;
  readonly channel: AtChannel;
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
