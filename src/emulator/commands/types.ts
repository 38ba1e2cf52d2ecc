import type { AtCommand } from '../../at/syntax.js';
import type { Params } from '../../at/params.js';
import type { CommandModule } from './context.js';
import type { ModemState } from '../state.js';

/** How a command ends: the final result code the module prints. */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error' }
  | { readonly kind: 'cme'; readonly code: number }
  /** `CONNECT <text>`, `NO CARRIER`, `CONNECT FAIL`: result codes that end a command like OK does. */
  | { readonly kind: 'result'; readonly text: string; readonly numeric: number }
  /** Nothing at all (the handler already printed what the module prints). */
  | { readonly kind: 'none' };

export const OK: Outcome = { kind: 'ok' };
export const ERROR: Outcome = { kind: 'error' };
export const NONE: Outcome = { kind: 'none' };
export const cme = (code: number): Outcome => ({ kind: 'cme', code });

/** What a CIPSEND-style data phase collects after the `>` prompt. */
export type DataRequest =
  | { readonly length: number }
  /** Variable length: ends at an unescaped Ctrl-Z, ESC cancels, ETX escapes (spec §2.2.4). */
  | { readonly ctrlZ: true; readonly max: number };

export type DataResult =
  | { readonly kind: 'data'; readonly data: Buffer }
  | { readonly kind: 'cancelled' }
  /** More than `max` bytes before the Ctrl-Z; the rest up to the Ctrl-Z was consumed. */
  | { readonly kind: 'overflow' };

/** What a handler gets: the module (a narrow interface, context.ts), the command, its reply. */
export interface CommandContext {
  readonly modem: CommandModule;
  /** The life the command runs in: aborted once the module rebooted (the reply is then cut off). */
  readonly life: AbortSignal;
  readonly state: ModemState;
  readonly command: AtCommand;
  readonly params: Params;
  /** An information line of this response. */
  info(line: string): void;
  /** Raw bytes inside this response (CIPRXGET=2 data). */
  raw(bytes: Uint8Array | string): void;
  /** `+IP ERROR: <err_info>` (text or number per CIPCCFG errMode) then ERROR. */
  ipError(code: number): Outcome;
  /** An information line, then ERROR (`+CIPERROR: 4`, `+CIPOPEN: 1,3`, …). */
  failWith(line: string): Outcome;
  /** Print the data prompt and collect the data phase. */
  readData(request: DataRequest): Promise<DataResult>;
}

export type Handler = (ctx: CommandContext) => Outcome | Promise<Outcome>;

/** The forms a command answers; a form without a handler answers ERROR. */
export interface CommandSpec {
  readonly exec?: Handler;
  readonly read?: Handler;
  readonly test?: Handler;
  readonly set?: Handler;
}

/** A family's commands by upper-case name (`+CSQ`, `E`, `&D`, `S0`). */
export type CommandTable = Readonly<Record<string, CommandSpec>>;
