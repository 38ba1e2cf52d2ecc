/**
 * The socket service's own lines (spec §2.2.1–2.2.2, §2.2.14–2.2.15, §4): the network opening and
 * closing, its unexpected loss, and the listening servers. `formatX` for the emulator, `parseX`
 * for the driver, beside each other.
 */
import { numbersAfter } from './numbers.js';

/** `+NETOPEN: <err>` after AT+NETOPEN's OK; also the AT+NETOPEN? answer (`1` open, `0` not). */
export function formatNetOpen(value: number): string {
  return `+NETOPEN: ${value}`;
}

export function parseNetOpen(line: string): number | undefined {
  return numbersAfter(line, '+NETOPEN:', 1)?.[0];
}

/** `+NETCLOSE: <err>` after AT+NETCLOSE's OK (or before its ERROR). */
export function formatNetClose(err: number): string {
  return `+NETCLOSE: ${err}`;
}

export function parseNetClose(line: string): number | undefined {
  return numbersAfter(line, '+NETCLOSE:', 1)?.[0];
}

/** The manual's and real modules' spelling of the network-loss URC's prefix; the app note writes `+CIP EVENT:` (spec §6 #4). */
export const CIPEVENT_PREFIX = '+CIPEVENT:';
export const NETWORK_CLOSED_UNEXPECTEDLY = 'NETWORK CLOSED UNEXPECTEDLY';

/** `+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY`: the bearer is gone, with every link (spec §4). */
export function formatNetworkLost(prefix: string = CIPEVENT_PREFIX): string {
  return `${prefix} ${NETWORK_CLOSED_UNEXPECTEDLY}`;
}

/** Any `+CIPEVENT:` / `+CIP EVENT:` line means the network is lost (the event text is not checked). */
export function isNetworkLost(line: string): boolean {
  return /^\+CIP ?EVENT:/.test(line);
}

export interface ServerListening {
  readonly server: number;
  readonly port: number;
}

/** `+SERVERSTART: <server>,<port>`: one line of the AT+SERVERSTART? answer per listening server. */
export function formatServerStart(server: number, port: number): string {
  return `+SERVERSTART: ${server},${port}`;
}

export function parseServerStart(line: string): ServerListening | undefined {
  const n = numbersAfter(line, '+SERVERSTART:', 2);
  if (n === undefined || (n[0] as number) < 0 || (n[1] as number) < 0) return undefined;
  return { server: n[0] as number, port: n[1] as number };
}

export interface ServerResult {
  readonly server: number;
  readonly err: number;
}

/** `+SERVERSTOP: <server>,<err>`: before or after OK by dialect (spec §2.2.15, §6 #13), or before ERROR. */
export function formatServerStop(server: number, err: number): string {
  return `+SERVERSTOP: ${server},${err}`;
}

export function parseServerStop(line: string): ServerResult | undefined {
  const n = numbersAfter(line, '+SERVERSTOP:', 2);
  return n === undefined || (n[0] as number) < 0 ? undefined : { server: n[0] as number, err: n[1] as number };
}
