/**
 * The Modem's vocabulary, apart from the class: its options, bring-up results, events and the
 * accepted-client record. A leaf: bring-up steps and URC handlers read these without the Modem.
 */
import type { TransportOptions } from './transports/open.js';
import type { AtChannelOptions, PushBlock } from './at-types.js';
import type { ChannelClosedError, NetworkLostError } from './errors.js';
import type { RemoteAddress } from '../at/module-output-framer.js';

export type ReceiveMode = 'push' | 'buffer';

export interface ModemOptions extends AtChannelOptions, TransportOptions {
  /** APN for `AT+CGDCONT=1,"<pdpType>","<apn>"`; without it the module's context 1 is used as it is. */
  apn?: string;
  pdpType?: 'IP' | 'IPV6' | 'IPV4V6';
  /** SIM PIN, entered if `AT+CPIN?` says `SIM PIN`. */
  pin?: string;
  /** 'push' = CIPRXGET=0 (default), 'buffer' = CIPRXGET=1. */
  receiveMode?: ReceiveMode;
  /** Push header: `+IPD<n>` (HeaderType 0, default) or `+RECEIVE,<link>,<n>` (HeaderType 1). */
  pushHeader?: 'ipd' | 'receive';
  /**
   * Keep UDP datagram boundaries in buffer mode (CIPCCFG 8th value `<udpRecvmode>` = 1, A76XX only,
   * before NETOPEN). Best effort: a module that refuses keeps reading UDP as a byte stream.
   */
  udpByPacket?: boolean;
  /** Buffer mode with `AT+CIPRXGET=5`: each read names its data's source (A76XX only; else mode 1). */
  rxSourceAddress?: boolean;
  /** AT+CIPMODE=1 (transparent mode on link 0). */
  transparent?: boolean;
  /** Keep the module's echo instead of sending ATE0 (echo is tolerated either way). */
  keepEcho?: boolean;
  /** `AT` sync: attempts and the wait for each (default 5 × 1000 ms). */
  syncAttempts?: number;
  syncTimeoutMs?: number;
  /** Guard time around `+++` when sync fails (the module may be stuck in data mode). 0 = never try; default `guardMs`. */
  escapeGuardMs?: number;
  /**
   * Escape-first open: before the first `AT`, a guarded `+++` (silence, `+++`, silence: 2 × the
   * guard time, 2 s by default) in case a previous host left the module in transparent data mode,
   * so no `AT` reaches the peer. Default off: it costs the two guard times on every open; without
   * it such a module gets `AT
` and `ATQ0V1
` as data before the escape the sync tries later.
   */
  escapeFirst?: boolean;
  /** How long the SIM may take to become READY (AN§1.4: 20 s). */
  simReadyTimeoutMs?: number;
  /** How long network registration (CGREG/CEREG 1 or 5) may take (default 60 s). */
  registrationTimeoutMs?: number;
  /** Interval between SIM / registration polls when no URC arrives first (default 1000 ms). */
  pollIntervalMs?: number;
}

export interface BringUpInfo {
  /** Local IP of the socket PDP (`AT+IPADDR`). */
  readonly ip: string | undefined;
  /** `+CSQ` rssi (99 = unknown). */
  readonly rssi: number | undefined;
  readonly registration: { readonly cgreg: number | undefined; readonly cereg: number | undefined };
  readonly echo: boolean;
}

export interface AcceptedClient {
  readonly link: number;
  readonly server: number;
  readonly remote: RemoteAddress;
}

export interface ModemEvents {
  data: [link: number, bytes: Buffer, from: RemoteAddress | undefined];
  unrouted: [block: PushBlock];
  readable: [link: number];
  'link-closed': [link: number, reason: number];
  client: [client: AcceptedClient];
  'network-lost': [error: NetworkLostError];
  reset: [line: string];
  close: [error: ChannelClosedError];
}
