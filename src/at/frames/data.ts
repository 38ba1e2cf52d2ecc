/**
 * The headers that announce socket data (spec §2.2.4–2.2.5, §3.2): pushed data (`+IPD<n>`, or
 * `+RECEIVE,<link>,<n>` with CIPCCFG's header type 1, after `RECV FROM:<ip>:<port>` with
 * CIPSRIP=1), the buffer-mode notice and reads (`+CIPRXGET: 1/2/3/4,…`). Exactly the announced
 * number of bytes follow a data header; the framer (module-output-framer.ts) cuts them by it.
 */
import { formatPeer, numbersAfter, stripBrackets } from './numbers.js';

/** `+IPD<n>`: n pushed bytes follow (no link number: the host knows it from context). */
export function formatIpd(length: number): string {
  return `+IPD${length}`;
}

/** The length of `+IPD<n>` (also `+IPD <n>`, `+ IPD<n>`, as some firmware prints); undefined when not one. */
export function parseIpd(line: string): number | undefined {
  const m = /^\+ ?IPD ?(\d+)$/.exec(line);
  return m === null ? undefined : Number(m[1]);
}

export interface ReceiveHeader {
  readonly link: number;
  readonly length: number;
}

/** `+RECEIVE,<link>,<n>`: n pushed bytes of `<link>` follow (CIPCCFG header type 1). */
export function formatReceive(link: number, length: number): string {
  return `+RECEIVE,${link},${length}`;
}

export function parseReceive(line: string): ReceiveHeader | undefined {
  const m = /^\+RECEIVE,(\d+),(\d+):?$/.exec(line);
  return m === null ? undefined : { link: Number(m[1]), length: Number(m[2]) };
}

export interface RemoteAddress {
  readonly address: string;
  readonly port: number;
}

/** `RECV FROM:<ip>:<port>`: where the pushed block after it came from (AT+CIPSRIP=1). */
export function formatRecvFrom(address: string, port: number): string {
  return `RECV FROM:${formatPeer(address, port)}`;
}

export function parseRecvFrom(line: string): RemoteAddress | undefined {
  const m = /^RECV FROM: ?(.+):(\d+)$/.exec(line);
  return m === null ? undefined : { address: stripBrackets(m[1] as string), port: Number(m[2]) };
}

/** `+CIPRXGET: 1,<link>`: buffer mode, data is waiting for `<link>` (spec §2.2.5). */
export function formatRxgetNotice(link: number): string {
  return `+CIPRXGET: 1,${link}`;
}

/** The link of `+CIPRXGET: 1,<link>`; undefined when the line is not one. */
export function parseRxgetNotice(line: string): number | undefined {
  const m = /^\+CIPRXGET: ?1,(\d+)$/.exec(line);
  return m === null ? undefined : Number(m[1]);
}

export interface RxgetDataHeader {
  /** 2: raw bytes follow; 3: one line of hex digits follows. */
  readonly mode: 2 | 3;
  readonly link: number;
  /** Bytes in this read. */
  readonly length: number;
  /** Bytes still held for the link after it. */
  readonly rest: number;
}

/** `+CIPRXGET: <2|3>,<link>,<read>,<rest>`: the header of an AT+CIPRXGET=2 / =3 read. */
export function formatRxgetData(mode: 2 | 3, link: number, length: number, rest: number): string {
  return `+CIPRXGET: ${mode},${link},${length},${rest}`;
}

export function parseRxgetData(line: string): RxgetDataHeader | undefined {
  const m = /^\+CIPRXGET: ?([23]),(\d+),(\d+),(\d+)$/.exec(line);
  if (m === null) return undefined;
  return { mode: m[1] === '2' ? 2 : 3, link: Number(m[2]), length: Number(m[3]), rest: Number(m[4]) };
}

export interface RxgetAvailable {
  readonly link: number;
  readonly rest: number;
}

/** `+CIPRXGET: 4,<link>,<rest>`: bytes held for the link (AT+CIPRXGET=4). */
export function formatRxgetAvailable(link: number, rest: number): string {
  return `+CIPRXGET: 4,${link},${rest}`;
}

export function parseRxgetAvailable(line: string): RxgetAvailable | undefined {
  const n = numbersAfter(line, '+CIPRXGET:', 3);
  if (n === undefined || n[0] !== 4 || (n[1] as number) < 0 || (n[2] as number) < 0) return undefined;
  return { link: n[1] as number, rest: n[2] as number };
}

/** `+CIPRXGET: <mode>`: the AT+CIPRXGET? answer (0 push, 1 buffer). */
export function formatRxgetMode(mode: number): string {
  return `+CIPRXGET: ${mode}`;
}

export function parseRxgetMode(line: string): number | undefined {
  return numbersAfter(line, '+CIPRXGET:', 1)?.[0];
}

/**
 * `+CIPRXGETIP: <ip>:<port>`: where a CIPRXGET=5 read's bytes came from. Its layout is not
 * documented (Q10): the parser also takes a quoted address and `,` before the port.
 */
export function formatRxgetSource(address: string, port: number): string {
  return `+CIPRXGETIP: ${formatPeer(address, port)}`;
}

export function parseRxgetSource(line: string): RemoteAddress | undefined {
  const m = /^\+CIPRXGETIP: ?"?([^"]+?)"?[:,] ?(\d+)$/.exec(line);
  return m === null ? undefined : { address: stripBrackets(m[1] as string), port: Number(m[2]) };
}
