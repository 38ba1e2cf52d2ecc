/**
 * Errors of the net-like sockets carry Node's `code` where the meaning is Node's, so retry logic
 * written for `net`/`dgram` (MQTT.js, undici, ws…) works unchanged; what the module said stays on
 * the error as `cause` (an `AtCommandError`, `AtTimeoutError`, …) and `moduleCode`.
 *
 *   ECONNREFUSED  connect: `+CIPOPEN: <n>,1` (the module's "Network failure" is what a refused or
 *                 unreachable peer gives), `CONNECT FAIL` in transparent mode
 *   ETIMEDOUT     connect: `+CIPOPEN: <n>,10`, or no completion within the CIPOPEN time
 *   ENOTFOUND     a name the module could not resolve (`+CDNSGIP: 0,<code>`, `+CIPOPEN: <n>,11`)
 *   ENETDOWN      the packet network is not open (`+CIPOPEN: <n>,2`) or was lost (`+CIPEVENT`)
 *   ECONNRESET    the module restarted under the socket, or the connection vanished mid-send
 *   EPIPE         a write on a link the peer (or the module) already closed
 *   EMSGSIZE      a UDP datagram over the module's 1500 bytes
 */
import { A76xxError, AtCommandError, AtTimeoutError, DnsLookupError, LinkClosedError, ModuleResetError, NetworkLostError, SendFailedError } from './errors.js';
import { errorMessage } from '../common/errors.js';

export type NodeNetCode = 'ECONNREFUSED' | 'ETIMEDOUT' | 'ENOTFOUND' | 'ECONNRESET' | 'EPIPE' | 'EMSGSIZE' | 'ENETDOWN' | 'ENETUNREACH';

/** A socket operation failed the way `net` would report it. */
export class SocketError extends A76xxError {
  override readonly code: NodeNetCode;
  override name = 'SocketError';
  /** The operation, as Node names it (`connect`, `write`, `send`, `getaddrinfo`). */
  readonly syscall: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** The driver's own code of the cause (`A76XX_AT_ERROR`, …), when there is one. */
  readonly moduleCode: string | undefined;

  constructor(code: NodeNetCode, syscall: string, message: string, options: { address?: string; port?: number; cause?: unknown } = {}) {
    super(`${syscall} ${code}${options.address === undefined ? '' : ` ${options.address}${options.port === undefined ? '' : `:${options.port}`}`}: ${message}`, {
      cause: options.cause,
    });
    this.code = code;
    this.syscall = syscall;
    this.address = options.address;
    this.port = options.port;
    this.moduleCode = options.cause instanceof A76xxError ? options.cause.code : undefined;
  }
}

/** `+CIPOPEN: <n>,<err>` values (spec §5.2) whose meaning is Node's. */
const OPEN_ERR: ReadonlyMap<number, NodeNetCode> = new Map([
  [1, 'ECONNREFUSED'],
  [2, 'ENETDOWN'],
  [10, 'ETIMEDOUT'],
  [11, 'ENOTFOUND'],
]);

/** The Node error for a failed connect (or UDP bind); errors without a Node meaning pass as they are. */
export function connectError(error: unknown, address: string | undefined, port: number | undefined): unknown {
  const code = connectCode(error);
  if (code === undefined) return error;
  const message = errorMessage(error);
  return new SocketError(code, code === 'ENOTFOUND' ? 'getaddrinfo' : 'connect', message, { ...place(address, port), cause: error });
}

function connectCode(error: unknown): NodeNetCode | undefined {
  if (error instanceof SocketError) return undefined;
  if (error instanceof AtCommandError) {
    if (error.final === 'CONNECT FAIL') return 'ECONNREFUSED';
    if (error.detail.dnsError !== undefined) return 'ENOTFOUND';
    const err = error.err;
    if (err !== undefined) return OPEN_ERR.get(err);
    return undefined;
  }
  if (error instanceof AtTimeoutError) return 'ETIMEDOUT';
  if (error instanceof DnsLookupError) return undefined; // its code is Node's already
  return linkCode(error);
}

/** The Node error for a failure of an open link (a write, the link's loss). */
export function linkError(error: unknown, syscall: string, address?: string, port?: number): unknown {
  const code = error instanceof SocketError ? undefined : linkCode(error);
  if (code === undefined) return error;
  const message = errorMessage(error);
  return new SocketError(code, syscall, message, { ...place(address, port), cause: error });
}

function linkCode(error: unknown): NodeNetCode | undefined {
  if (error instanceof NetworkLostError) return 'ENETDOWN';
  if (error instanceof ModuleResetError) return 'ECONNRESET';
  if (error instanceof LinkClosedError) return 'EPIPE';
  if (error instanceof SendFailedError) return error.confirmed < 0 ? 'ECONNRESET' : undefined;
  if (error instanceof Error && error.cause instanceof NetworkLostError) return 'ENETDOWN';
  if (error instanceof Error && error.cause instanceof ModuleResetError) return 'ECONNRESET';
  return undefined;
}

function place(address: string | undefined, port: number | undefined): { address?: string; port?: number } {
  return { ...(address === undefined ? {} : { address }), ...(port === undefined ? {} : { port }) };
}
