/**
 * The AT channel's vocabulary: options, how an answer is recognised, what it resolves with, its
 * events. Kept apart from the channel itself so the parts built on it (data mode, the Modem) need
 * not import the whole class.
 */
import type { Clock } from '../time/clock.js';
import type { ChannelClosedError } from './errors.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import type { TimeoutOverrides } from './timeouts.js';

export interface AtChannelOptions {
  /** Response-time overrides by command name (`+CIPOPEN`, `+COPS=?`, `E`…) or `default` (spec §2.3 otherwise). */
  timeouts?: TimeoutOverrides;
  /** After a timeout, how long a late answer is awaited (and absorbed) before the next command is written. */
  recoveryMs?: number;
  /** Name used on trace messages and in errors (default `at`). */
  name?: string;
  /** Silence before and after `+++` in data mode (spec §2.1.19: at least 1000 ms; the module's guard time). */
  guardMs?: number;
  /** After the trailing guard, how long the `OK` of `+++` may take (default 1000 ms). */
  escapeAnswerMs?: number;
  /** What the module prints when a transparent link ends (default `CLOSED`); undefined = never watch. */
  transparentCloseLine?: string | null;
  /** Quiet time after which a held transparent tail that could start `\r\nCLOSED\r\n` is delivered as data (default 50 ms). */
  tailReleaseMs?: number;
  /**
   * After a command failed with a bare `ERROR`, how long the next command waits before it is
   * written (default 50 ms): some firmware prints a second `ERROR` for one command, which must not
   * answer the next one. Failures with a detail line (`+IP ERROR: No data`) or a CME code go on at once.
   */
  errorSettleMs?: number;
  /** Most information lines one response may collect (default 1024); past it the command fails with `ResponseOverflowError`. */
  maxResponseLines?: number;
  /** Most characters of information lines one response may collect (default 256 KiB); as `maxResponseLines`. */
  maxResponseChars?: number;
  /** Time source for every timeout, guard and retry (default the real clock; tests pass a `FakeClock`). */
  clock?: Clock;
}

/** How the module's answer to one command is recognised. */
export interface CommandOptions {
  /** Longest wait for the final result (and the prompt), in ms. */
  timeoutMs?: number;
  /**
   * Lines starting with one of these belong to this response even if they look like URCs (e.g.
   * `+CIPOPEN: 1,` for a UDP open of link 1). Default: `+NAME:` of the command, except lines that
   * are always URCs (`+CIPRXGET: 1,<link>`, `+CIPEVENT`, boot lines, …).
   */
  responsePrefixes?: readonly string[];
  /** Bytes to write after the `>` prompt (AT+CIPSEND). */
  data?: Uint8Array;
  /** A line that completes the command after `OK` (or before it, in the response). */
  completion?: CompletionSpec;
  /**
   * Called synchronously with the successful response (completion included) before any later byte
   * is parsed — for state that the very next output depends on (a link is open before its first
   * pushed data is routed). The promise resolves afterwards, as usual.
   */
  onSuccess?: (response: AtResponse) => void;
}

export interface CompletionSpec {
  readonly match: (line: string) => boolean;
  /** What is awaited, for the timeout message (`+CIPOPEN: 1,<err>`). */
  readonly what: string;
  /** Default: the command's response time. */
  readonly timeoutMs?: number;
}

/** A block of a CIPRXGET=2 (raw) or =3 (hex) read. */
export interface RxgetBlock {
  readonly mode: 2 | 3;
  readonly link: number;
  /** Bytes still buffered in the module after this read. */
  readonly rest: number;
  readonly bytes: Buffer;
}

/** Data the module pushed (`+IPD`, `+RECEIVE`). */
export interface PushBlock {
  readonly header: 'ipd' | 'receive';
  /** Known with `+RECEIVE,<link>,<n>`; `+IPD<n>` carries no link number. */
  readonly link: number | undefined;
  readonly from: RemoteAddress | undefined;
  readonly bytes: Buffer;
}

export interface AtResponse {
  readonly command: string;
  /** Information lines in order (echo, URCs and the final result excluded). */
  readonly lines: readonly string[];
  readonly final: string;
  readonly blocks: readonly RxgetBlock[];
  /** The completion line, when the command asked for one. */
  readonly completion: string | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  /** What is awaited, for the timeout message. */
  what: string;
  /** The command this wait belongs to, for error messages. */
  command?: string;
  signal?: AbortSignal;
}

export interface AtChannelEvents {
  /** Every unsolicited line; `handled` = a waitress or a handler took it. */
  urc: [line: string, handled: boolean];
  push: [block: PushBlock];
  /** A CIPRXGET data block with no read in flight (should not happen; kept, not lost). */
  rxget: [block: RxgetBlock];
  /** Bytes in transparent data mode. */
  /** A `+CCHRECV: DATA,<session>,<n>` frame of the SSL service (see ssl-client.ts). */
  'cch-data': [session: number, bytes: Buffer];
  passthrough: [bytes: Buffer];
  /** Data mode entered (`CONNECT…` answer or unsolicited on a transparent accept) or left. */
  'data-mode': [entered: boolean, line: string];
  /** `<CR><LF>CLOSED<CR><LF>` appeared in data mode: data or the link's end? (`probeDataMode`) */
  'close-candidate': [];
  /** A boot URC: the module restarted. */
  reset: [line: string];
  /** A final result with no command to own it (e.g. `OK` after `+++`, a late answer after a timeout). */
  'stray-final': [line: string];
  close: [error: ChannelClosedError];
  /**
   * A listener or URC handler threw. Without a listener for this event the error is rethrown on
   * the next tick (an uncaught exception, as from any listener); either way the parser goes on
   * with the rest of the chunk, so one bad listener cannot break the framing.
   */
  'listener-error': [error: unknown];
}

export type UrcHandler = (line: string) => void;

export type EchoState = 'unknown' | 'on' | 'off';

/** The text after `prefix` (and one optional space) of the first response line that has it. */
export function responseValue(response: AtResponse, prefix: string): string | undefined {
  for (const line of response.lines) {
    if (line.startsWith(prefix)) return line.slice(prefix.length).replace(/^ /, '');
  }
  return undefined;
}
