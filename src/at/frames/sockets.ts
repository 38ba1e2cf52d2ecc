/**
 * The socket lines of one link (spec §2.2.3–2.2.6, §2.2.14, §4): what the module prints about
 * opening, sending on, closing and accepting a link. Each frame is a `formatX` the emulator writes
 * and a `parseX` the driver reads with, beside each other.
 */
import { numbersAfter, stripBrackets } from './numbers.js';

export interface LinkResult {
  readonly link: number;
  readonly err: number;
}

/** `+CIPOPEN: <link>,<err>`: the open's outcome (spec §5.2 `<err>`), after OK or before ERROR. */
export function formatCipOpen(link: number, err: number): string {
  return `+CIPOPEN: ${link},${err}`;
}

export function parseCipOpen(line: string): LinkResult | undefined {
  const n = numbersAfter(line, '+CIPOPEN:', 2);
  return n === undefined || (n[0] as number) < 0 ? undefined : { link: n[0] as number, err: n[1] as number };
}

/** `+CIPCLOSE: <link>,<err>`: the close's outcome (TCP after OK, UDP before it; spec §2.2.6). */
export function formatCipClose(link: number, err: number): string {
  return `+CIPCLOSE: ${link},${err}`;
}

export function parseCipClose(line: string): LinkResult | undefined {
  const n = numbersAfter(line, '+CIPCLOSE:', 2);
  return n === undefined || (n[0] as number) < 0 ? undefined : { link: n[0] as number, err: n[1] as number };
}

export interface SendResult {
  readonly link: number;
  /** `<reqSendLength>`: what the host asked to send. */
  readonly requested: number;
  /** `<cnfSendLength>`: what the module took (0 = its buffer is full, -1 = the link is gone). */
  readonly confirmed: number;
}

/** `+CIPSEND: <link>,<req>,<cnf>` after the data of an AT+CIPSEND (spec §2.2.4). */
export function formatCipSend(link: number, requested: number, confirmed: number): string {
  return `+CIPSEND: ${link},${requested},${confirmed}`;
}

export function parseCipSend(line: string): SendResult | undefined {
  const n = numbersAfter(line, '+CIPSEND:', 3);
  if (n === undefined || (n[0] as number) < 0) return undefined;
  return { link: n[0] as number, requested: n[1] as number, confirmed: n[2] as number };
}

/** `+CIPERROR: <err>`: a socket command refused (spec §5.2), then ERROR. */
export function formatCipError(err: number): string {
  return `+CIPERROR: ${err}`;
}

export function parseCipError(line: string): number | undefined {
  return numbersAfter(line, '+CIPERROR:', 1)?.[0];
}

export interface LinkClosed {
  readonly link: number;
  /** 0 closed by the host, 1 by the peer, 2 send timeout / DTR (spec §4). */
  readonly reason: number;
}

/** `+IPCLOSE: <link>,<reason>`: the link ended without the host asking (spec §4). */
export function formatIpClose(link: number, reason: number): string {
  return `+IPCLOSE: ${link},${reason}`;
}

export function parseIpClose(line: string): LinkClosed | undefined {
  const n = numbersAfter(line, '+IPCLOSE:', 2);
  if (n === undefined || (n[0] as number) < 0 || (n[1] as number) < 0) return undefined;
  return { link: n[0] as number, reason: n[1] as number };
}

export interface ClientAccepted {
  readonly link: number;
  readonly server: number;
  readonly address: string;
  readonly port: number;
}

/**
 * `+CLIENT: <link>,<server>,<ip>:<port>`: server `<server>` accepted a client on `<link>` (spec
 * §2.2.14); `peer` is the `<ip>:<port>` text (`formatPeer`).
 */
export function formatClient(link: number, server: number, peer: string): string {
  return `+CLIENT: ${link},${server},${peer}`;
}

export function parseClient(line: string): ClientAccepted | undefined {
  const m = /^\+CLIENT: ?(\d+), ?(\d+), ?(.+):(\d+)$/.exec(line);
  if (m === null) return undefined;
  return { link: Number(m[1]), server: Number(m[2]), address: stripBrackets(m[3] as string), port: Number(m[4]) };
}
