/**
 * Final result codes (spec §1.5, §5.5): their verbose text and `ATV0` number, the one test of
 * "this line ends a command" both ends use, and the format/parse pairs of the result lines that
 * carry a value (`CONNECT <text>`, `+CME ERROR: <err>`, `+IP ERROR: <err_info>`).
 */

export const RESULT_CODES = {
  OK: 0,
  CONNECT: 1,
  RING: 2,
  'NO CARRIER': 3,
  ERROR: 4,
  'NO DIALTONE': 6,
  BUSY: 7,
  'NO ANSWER': 8,
} as const;

export type ResultCode = keyof typeof RESULT_CODES;

export const CR = 0x0d;
export const LF = 0x0a;
export const CTRL_Z = 0x1a;
export const ESC = 0x1b;
export const ETX = 0x03;
export const BACKSPACE = 0x08;
export const CRLF = '\r\n';

/** A transparent CIPOPEN that failed (spec §2.2.3, §3.4; no number in the manual's table). */
export const CONNECT_FAIL = 'CONNECT FAIL';
/** `ATO` with nothing to resume (spec §2.2.6); a call's end. */
export const NO_CARRIER = 'NO CARRIER';
/** A transparent link's end, unsolicited (spec §3.4, Q2). Not a final result: a URC. */
export const CLOSED = 'CLOSED';

/**
 * Lines that end a command in flight (spec §1.5; the V.250 codes of §5.5): `OK`, `ERROR`,
 * `+CME ERROR: …`, `+CMS ERROR: …`, `CONNECT[ <text>]` (data mode entered), `CONNECT FAIL`,
 * `NO CARRIER`, `NO DIALTONE`, `BUSY`, `NO ANSWER`. `RING` is unsolicited, not final.
 */
export function isFinalResult(line: string): boolean {
  switch (line) {
    case 'OK':
    case 'ERROR':
    case NO_CARRIER:
    case CONNECT_FAIL:
    case 'NO DIALTONE':
    case 'BUSY':
    case 'NO ANSWER':
      return true;
  }
  return line.startsWith('+CME ERROR:') || line.startsWith('+CMS ERROR:') || isConnectResult(line);
}

/** Final results that mean success: `OK`, and `CONNECT[ <text>]` (data mode entered). */
export function isSuccessResult(line: string): boolean {
  return line === 'OK' || isConnectResult(line);
}

/** `CONNECT` or `CONNECT <text>`: the port is in data mode now (not `CONNECT FAIL`). */
export function isConnectResult(line: string): boolean {
  return parseConnect(line) !== undefined;
}

/** `CONNECT` (ATX0) or `CONNECT <text>` (the baud rate, spec §3.4). */
export function formatConnect(text?: string | number): string {
  return text === undefined ? 'CONNECT' : `CONNECT ${text}`;
}

/** The text after `CONNECT` ('' for a bare `CONNECT`); undefined when the line is not one (`CONNECT FAIL` is not). */
export function parseConnect(line: string): string | undefined {
  if (line === 'CONNECT') return '';
  if (!line.startsWith('CONNECT ') || line === CONNECT_FAIL) return undefined;
  return line.slice('CONNECT '.length);
}

/** `+CME ERROR: <err>`: the number (CMEE=1) or the verbose text (CMEE=2, maybe with a ` (#33)` cause). */
export function formatCmeError(err: number | string): string {
  return `+CME ERROR: ${err}`;
}

/** The `<err>` of `+CME ERROR: <err>` as written (number or text); undefined when the line is not one. */
export function parseCmeError(line: string): string | undefined {
  const m = /^\+CME ERROR: ?(.*)$/.exec(line);
  return m === null ? undefined : (m[1] as string);
}

/** `+CMS ERROR: <err>` (SMS errors; not used by TCP/IP). */
export function formatCmsError(err: number | string): string {
  return `+CMS ERROR: ${err}`;
}

export function parseCmsError(line: string): string | undefined {
  const m = /^\+CMS ERROR: ?(.*)$/.exec(line);
  return m === null ? undefined : (m[1] as string);
}

/** `+IP ERROR: <err_info>`: text or number per AT+CIPCCFG's errMode (spec §5.1); then `ERROR`. */
export function formatIpError(info: number | string): string {
  return `+IP ERROR: ${info}`;
}

/** The `<err_info>` of `+IP ERROR: <err_info>` as written; undefined when the line is not one. */
export function parseIpError(line: string): string | undefined {
  const m = /^\+IP ERROR: ?(.*)$/.exec(line);
  return m === null ? undefined : (m[1] as string);
}
