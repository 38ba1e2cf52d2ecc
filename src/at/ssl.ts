/**
 * The SSL service's wire facts (docs/ssl-spec.md), written once for both ends: the `<err>` table
 * of `+CCHOPEN:`/`+CCHSEND:`/`+CCHRECV:`…, the limits, and a format/parse pair per line that
 * carries numbers the other end must read.
 */

/** `<err>` of the CCH commands and URCs (A76XX manual §19.3.1 = SSL application note §4.1.1). */
export const CchErr = {
  Ok: 0,
  Alerting: 1,
  Unknown: 2,
  Busy: 3,
  PeerClosed: 4,
  Timeout: 5,
  TransferFailed: 6,
  Memory: 7,
  InvalidParameter: 8,
  Network: 9,
  OpenSession: 10,
  State: 11,
  CreateSocket: 12,
  GetDns: 13,
  ConnectSocket: 14,
  Handshake: 15,
  CloseSocket: 16,
  NoNet: 17,
  SendTimeout: 18,
  CertificatesNotSet: 19,
} as const;

/** The manual's meaning of each `<err>`, by number. */
export const CCH_ERR_TEXT: readonly string[] = [
  'Operation succeeded',
  'Alerting state (reserved)',
  'Unknown error',
  'The session is busy',
  'Server closed the connection',
  'Operation timeout',
  'Transfer failed',
  'Memory error',
  'Invalid parameter',
  'Network error',
  'Open session error',
  'State error',
  'Create socket error',
  'Get DNS error',
  'Connect socket error',
  'Handshake error',
  'Close socket error',
  'No network',
  'Send data timeout',
  'Certificates not set',
];

/** Sessions 0–1 (manual: `+CCHOPEN: (0-1),…`; one firmware lists three, docs/ssl-spec.md Q1). */
export const CCH_SESSION_COUNT = 2;
/** SSL contexts 0–9 (AT+CSSLCFG). */
export const SSL_CONTEXT_COUNT = 10;
/** One AT+CCHSEND carries 1–2048 bytes (`+CCHSEND: (0,1),(1-2048)`). */
export const CCHSEND_MAX = 2048;
/** One AT+CCHRECV asks for at most 2048 bytes (0 = everything cached). */
export const CCHRECV_MAX = 2048;
/** Largest payload of one `+CCHRECV: DATA,…` frame (the manual's example reads 1024-byte frames). */
export const CCHRECV_FRAME_MAX = 1024;
/** AT+CCERTDOWN: 1–10240 bytes per file. */
export const CCERT_MAX_BYTES = 10240;
/** Certificate file names: up to 108 characters, ending `.pem` or `.der`. */
export const CCERT_NAME_MAX = 108;

export function isCertName(name: string): boolean {
  return name.length >= 5 && name.length <= CCERT_NAME_MAX && /\.(pem|der)$/i.test(name) && !/["\r\n/\\]/.test(name);
}

/** `+CCHRECV: DATA,<sid>,<len>`: the header of a pushed or read frame; `len` raw bytes follow its CR LF. */
export function formatCchDataHeader(session: number, length: number): string {
  return `+CCHRECV: DATA,${session},${length}`;
}

const DATA_HEADER_RE = /^\+CCHRECV: ?DATA,(\d+),(\d+)$/;

export function parseCchDataHeader(line: string): { session: number; length: number } | undefined {
  const m = DATA_HEADER_RE.exec(line);
  return m === null ? undefined : { session: Number(m[1]), length: Number(m[2]) };
}

/** `+CCHRECV: LEN,<cached0>,<cached1>` (AT+CCHRECV?). */
export function formatCchRecvLen(cached: readonly number[]): string {
  return `+CCHRECV: LEN,${cached.join(',')}`;
}

export function parseCchRecvLen(line: string): number[] | undefined {
  const m = /^\+CCHRECV: ?LEN,([\d,]+)$/.exec(line);
  return m === null ? undefined : (m[1] as string).split(',').map(Number);
}

/** `+CCHOPEN: <sid>,<err>`, `+CCHSEND: <sid>,<err>`, `+CCHCLOSE: <sid>,<err>`, `+CCHRECV: <sid>,<err>`, `+CCH_RECV_CLOSED: <sid>,<err>`. */
export function formatCchResult(name: 'CCHOPEN' | 'CCHSEND' | 'CCHCLOSE' | 'CCHRECV' | 'CCH_RECV_CLOSED', session: number, err: number): string {
  return `+${name}: ${session},${err}`;
}

export function parseCchResult(line: string, name: string): { session: number; err: number } | undefined {
  const m = new RegExp(`^\\+${name}: ?(\\d+),(\\d+)$`).exec(line);
  return m === null ? undefined : { session: Number(m[1]), err: Number(m[2]) };
}

/** `+CCHEVENT: <sid>,RECV EVENT`: data waits in the cache (manual receive mode). */
export function formatCchRecvEvent(session: number): string {
  return `+CCHEVENT: ${session},RECV EVENT`;
}

export function parseCchRecvEvent(line: string): number | undefined {
  const m = /^\+CCHEVENT: ?(\d+),RECV ?EVENT$/.exec(line);
  return m === null ? undefined : Number(m[1]);
}

/** `+CCH_PEER_CLOSED: <sid>`: the server closed the connection. */
export function formatCchPeerClosed(session: number): string {
  return `+CCH_PEER_CLOSED: ${session}`;
}

export function parseCchPeerClosed(line: string): number | undefined {
  const m = /^\+CCH_PEER_CLOSED: ?(\d+)$/.exec(line);
  return m === null ? undefined : Number(m[1]);
}

/** `+CCH: CCHSTOP`: the service stopped by itself (network error). */
export const CCH_STOPPED_URC = '+CCH: CCHSTOP';
