/**
 * Reading the module's answers to the Modem's commands: the `<err>` of a completion line, the
 * error a failing completion becomes, and a buffer-mode read (`AT+CIPRXGET=2`) as bytes, rest and
 * source. Pure functions of an `AtResponse`.
 */
import { IpErr } from '../at/errors.js';
import type { AtResponse } from './at-types.js';
import { AtCommandError, readDetailLine } from './errors.js';
import type { RemoteAddress } from '../at/module-output-framer.js';
import { parseRxgetSource } from '../at/frames/index.js';

/** The `<err>` of a completion line (`+CIPOPEN: 1,0` → 0); undefined when there is none. */
export function completionErr(response: AtResponse): number | undefined {
  return readDetailLine(response.completion ?? '')?.err;
}

/** A command whose OK was followed by a failing completion: `final` is the OK, the detail its line. */
export function completionFailure(response: AtResponse, index?: number): AtCommandError {
  const detail = readDetailLine(response.completion ?? '');
  return new AtCommandError(response.command, response.final, detail ?? { index, line: response.completion });
}

/** One `AT+CIPRXGET=2` read: the bytes, how many the module still holds, and (CIPRXGET=5) their source. */
export interface BufferRead {
  readonly bytes: Buffer;
  readonly rest: number;
  readonly from?: RemoteAddress;
}

export const NO_DATA: BufferRead = { bytes: Buffer.alloc(0), rest: 0 };

export function readResult(link: number, response: AtResponse): BufferRead {
  const block = response.blocks.find((b) => b.link === link);
  if (block === undefined) return NO_DATA;
  const from = sourceOf(response.lines);
  return from === undefined ? { bytes: block.bytes, rest: block.rest } : { bytes: block.bytes, rest: block.rest, from };
}

/** `+CIPRXGETIP: <ip>:<port>` of a CIPRXGET=5 read (layout undocumented, Q10: tolerant). */
function sourceOf(lines: readonly string[]): RemoteAddress | undefined {
  for (const line of lines) {
    const from = parseRxgetSource(line);
    if (from !== undefined) return from;
  }
  return undefined;
}


export function isNoData(error: AtCommandError): boolean {
  const info = error.detail.ipError;
  return info !== undefined && (info.code === IpErr.NoData || info.text.toLowerCase() === 'no data');
}
