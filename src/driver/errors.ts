/**
 * Typed driver errors. Every class has a stable `code` string (undici style) so callers can branch
 * on `err.code` without `instanceof` across package copies, and carries the command that failed.
 */
import { CME_TEXT, cmeCodeOf, ERR_TEXT, IP_ERROR_TEXT_A76XX, ipErrorCodeOf } from '../at/errors.js';
import { parseCipClose, parseCipError, parseCipOpen, parseDnsError, parseNetClose, parseNetOpen, parseServerStop } from '../at/frames/index.js';
import { parseCmeError, parseCmsError, parseIpError } from '../at/result-codes.js';

export class A76xxError extends Error {
  readonly code: string = 'A76XX_ERROR';
  override name = 'A76xxError';
}

/** The `<err_info>` of a `+IP ERROR:` detail line (spec §5.1), as number and text when known. */
export interface IpErrorInfo {
  readonly code: number | undefined;
  readonly text: string;
}

/** What the module said about a failure, decoded from the final line and the detail line before it. */
export interface ModuleErrorDetail {
  /** `+CME ERROR: <x>` / `+CMS ERROR: <x>`: the number (given or looked up from verbose text). */
  readonly cme?: { readonly code: number | undefined; readonly text: string };
  readonly cms?: { readonly code: number | undefined; readonly text: string };
  /** `+IP ERROR: <err_info>` (or the application note's `+IPADDR: <text>`). */
  readonly ipError?: IpErrorInfo;
  /** `<err>` of `+CIPERROR:`, `+CIPOPEN: n,e`, `+CIPCLOSE: n,e`, `+NETOPEN: e`, `+NETCLOSE: e`, `+SERVERSTOP: n,e` (spec §5.2). */
  readonly err?: number;
  /** Link or server index named by the detail line, when it names one. */
  readonly index?: number;
  /** `+CDNSGIP: 0,<code>` (spec §5.3). */
  readonly dnsError?: number;
  /** The detail line itself. */
  readonly line?: string;
}

/** The module answered a command with an error (or an async completion reported a failure). */
export class AtCommandError extends A76xxError {
  override readonly code = 'A76XX_AT_ERROR';
  override name = 'AtCommandError';
  readonly command: string;
  /** The final result line (`ERROR`, `+CME ERROR: …`, `NO CARRIER`, `CONNECT FAIL`, or `OK` for a failed completion). */
  readonly final: string;
  readonly detail: ModuleErrorDetail;

  constructor(command: string, final: string, detail: ModuleErrorDetail = {}) {
    super(describeFailure(command, final, detail));
    this.command = command;
    this.final = final;
    this.detail = detail;
  }

  /** Shorthands for the fields callers branch on most. */
  get err(): number | undefined {
    return this.detail.err;
  }
  get cmeCode(): number | undefined {
    return this.detail.cme?.code;
  }
  get ipErrorCode(): number | undefined {
    return this.detail.ipError?.code;
  }
}

/** No answer in time. Says which command, what it waited for and how long. */
export class AtTimeoutError extends A76xxError {
  override readonly code = 'A76XX_AT_TIMEOUT';
  override name = 'AtTimeoutError';
  constructor(
    readonly command: string,
    readonly waitingFor: string,
    readonly timeoutMs: number,
  ) {
    super(`${command === '' ? 'waiting' : command}: no ${waitingFor} after ${timeoutMs} ms`);
  }
}

/** The transport is gone (closed, errored, or the channel was closed): nothing will ever answer. */
export class ChannelClosedError extends A76xxError {
  override readonly code = 'A76XX_CHANNEL_CLOSED';
  override name = 'ChannelClosedError';
  constructor(
    readonly command: string | undefined,
    readonly reason?: Error,
  ) {
    super(`${command === undefined ? 'AT channel' : command}: channel closed${reason === undefined ? '' : ` (${reason.message})`}`, {
      cause: reason,
    });
  }
}

/** `+CIPEVENT: NETWORK CLOSED UNEXPECTEDLY`: the PDP context is gone; every link is dead. */
export class NetworkLostError extends A76xxError {
  override readonly code = 'A76XX_NETWORK_LOST';
  override name = 'NetworkLostError';
  constructor(readonly line: string) {
    super(`network lost: ${line}`);
  }
}

/** `+CIPSEND: <link>,<req>,<cnf>` with cnf ≠ req: -1 = connection gone, 0 = buffer/window full (spec §2.2.4). */
export class SendFailedError extends A76xxError {
  override readonly code = 'A76XX_SEND_FAILED';
  override name = 'SendFailedError';
  constructor(
    readonly link: number,
    readonly requested: number,
    readonly confirmed: number,
  ) {
    super(
      `send on link ${link}: module accepted ${confirmed} of ${requested} bytes` +
        (confirmed < 0 ? ' (connection gone)' : confirmed === 0 ? ' (send buffer or peer window full)' : ''),
    );
  }
}

/** The module was reset while the operation was pending (boot URC seen). */
export class ModuleResetError extends A76xxError {
  override readonly code = 'A76XX_MODULE_RESET';
  override name = 'ModuleResetError';
  constructor(readonly line: string) {
    super(`module restarted (${line})`);
  }
}

/**
 * The link is gone (the peer closed it: `+IPCLOSE`, `CLOSED`, `NO CARRIER` after `ATO`) while
 * something still wanted to use it.
 */
export class LinkClosedError extends A76xxError {
  override readonly code = 'A76XX_LINK_CLOSED';
  override name = 'LinkClosedError';
  constructor(
    readonly link: number,
    why: string,
  ) {
    super(`link ${link}: ${why}`);
  }
}

/** A host name did not resolve through the module (`+CDNSGIP: 0,<code>` / ERROR, or no address). */
export class DnsLookupError extends A76xxError {
  /** Node's `dns` code for the same situation (was `A76XX_DNS` before 0.2). */
  override readonly code = 'ENOTFOUND';
  override name = 'DnsLookupError';
  /** Kept for code written against 0.1 (same as `code`). */
  readonly dnsCode = 'ENOTFOUND';
  /** As Node's `dns` errors. */
  readonly syscall = 'getaddrinfo';
  constructor(
    readonly hostname: string,
    readonly dnsError: number | undefined,
    options?: ErrorOptions,
  ) {
    super(`lookup ${hostname}: not resolved by the module${dnsError === undefined ? '' : ` (DNS error ${dnsError})`}`, options);
  }
}

/**
 * A response grew past the channel's bounds (lines or characters per command, `maxResponseLines` /
 * `maxResponseChars`): the module is printing garbage. The command fails; further lines are dropped
 * until a final result (or the recovery time) resynchronises the channel.
 */
export class ResponseOverflowError extends A76xxError {
  override readonly code = 'A76XX_RESPONSE_OVERFLOW';
  override name = 'ResponseOverflowError';
  constructor(
    readonly command: string,
    readonly lines: number,
    readonly chars: number,
  ) {
    super(`${command}: response past its bound (${lines} lines, ${chars} characters) — dropped, resynchronising`);
  }
}

/** A driver-level precondition failed (no free link, bring-up gave up, …). */
export class DriverStateError extends A76xxError {
  override readonly code = 'A76XX_STATE';
  override name = 'DriverStateError';
}

// ------------------------------------------------------------------ decoding

type DetailReader = (line: string) => ModuleErrorDetail | undefined;

/** A `<prefix>: <err>` line (`+CIPERROR:`, `+NETOPEN:`, `+NETCLOSE:`). */
const errDetail =
  (parse: (line: string) => number | undefined): DetailReader =>
  (line) => {
    const err = parse(line);
    return err === undefined ? undefined : { err, line };
  };

const DETAIL_READERS: readonly DetailReader[] = [
  (line) => {
    const info = parseIpError(line);
    return info === undefined ? undefined : { ipError: ipErrorInfo(info), line };
  },
  // Application-note form of AT+IPADDR with the network closed (spec §6 #11): text, not an address.
  (line) => {
    const m = /^\+IPADDR: ?([A-Za-z].*)$/.exec(line);
    return m === null ? undefined : { ipError: ipErrorInfo(m[1] as string), line };
  },
  errDetail(parseCipError),
  (line) => {
    const r = parseCipOpen(line) ?? parseCipClose(line);
    return r === undefined ? undefined : { index: r.link, err: r.err, line };
  },
  (line) => {
    const r = parseServerStop(line);
    return r === undefined ? undefined : { index: r.server, err: r.err, line };
  },
  errDetail(parseNetOpen),
  errDetail(parseNetClose),
  (line) => {
    const dnsError = parseDnsError(line);
    return dnsError === undefined ? undefined : { dnsError, line };
  },
];

/** Decode a detail line (`+IP ERROR: …`, `+CIPOPEN: 1,4`, …); undefined when the line is not one. */
export function readDetailLine(line: string): ModuleErrorDetail | undefined {
  for (const read of DETAIL_READERS) {
    const detail = read(line);
    if (detail !== undefined) return detail;
  }
  return undefined;
}

/** Build the error for a command whose final result is not a success. */
export function commandError(command: string, final: string, lines: readonly string[]): AtCommandError {
  let detail: ModuleErrorDetail = {};
  // The detail line is printed right before the final result; take the last one that decodes.
  for (let i = lines.length - 1; i >= 0; i--) {
    const d = readDetailLine(lines[i] as string);
    if (d !== undefined) {
      detail = d;
      break;
    }
  }
  const cme = parseCmeError(final);
  if (cme !== undefined) detail = { ...detail, cme: codeAndText(cme, (t) => cmeCodeOf(t), (n) => CME_TEXT.get(n)) };
  const cms = parseCmsError(final);
  if (cms !== undefined) detail = { ...detail, cms: codeAndText(cms, () => undefined, () => undefined) };
  return new AtCommandError(command, final, detail);
}

function ipErrorInfo(info: string): IpErrorInfo {
  const text = info.trim();
  const code = ipErrorCodeOf(text);
  const named = /^\d+$/.test(text) && code !== undefined ? IP_ERROR_TEXT_A76XX[code] : undefined;
  return { code, text: named ?? text };
}

function codeAndText(
  raw: string,
  codeOf: (text: string) => number | undefined,
  textOf: (code: number) => string | undefined,
): { code: number | undefined; text: string } {
  const t = raw.trim();
  if (/^\d+$/.test(t)) {
    const code = Number(t);
    return { code, text: textOf(code) ?? t };
  }
  return { code: codeOf(t), text: t };
}

function describeFailure(command: string, final: string, d: ModuleErrorDetail): string {
  const parts: string[] = [];
  if (d.cme !== undefined) parts.push(`CME ${d.cme.code ?? '?'} ${d.cme.text}`);
  if (d.cms !== undefined) parts.push(`CMS ${d.cms.code ?? '?'} ${d.cms.text}`);
  if (d.ipError !== undefined) parts.push(`IP error ${d.ipError.code ?? '?'} ${d.ipError.text}`);
  if (d.err !== undefined) parts.push(`err ${d.err} ${ERR_TEXT[d.err] ?? ''}`.trimEnd());
  if (d.dnsError !== undefined) parts.push(`DNS error ${d.dnsError}`);
  const why = parts.length > 0 ? parts.join('; ') : final;
  const line = d.line !== undefined && parts.length > 0 ? ` [${d.line} / ${final}]` : '';
  return `${command}: ${why}${line}`;
}
