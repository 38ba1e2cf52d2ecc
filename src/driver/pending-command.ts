/**
 * One command of the AT channel while it is queued, in flight or failed: its line, how its answer
 * is recognised (response prefixes, query or not), what it collected so far, its timers. Plus the
 * small rules that depend only on the command's text (default prefix, what it does to the echo).
 */
import type { Timer } from '../time/clock.js';
import type { AtResponse, CommandOptions, EchoState, RxgetBlock } from './at-types.js';
import { commandsOf } from './timeouts.js';
import type { CallerStack } from './waiter.js';

export interface Pending {
  readonly text: string;
  readonly bytes: Buffer;
  readonly options: CommandOptions;
  readonly timeoutMs: number;
  readonly prefixes: readonly string[];
  readonly explicitPrefixes: boolean;
  /** A read (`?`) or test (`=?`) command: its prefix's lines are its answer, never a completion. */
  readonly query: boolean;
  readonly origin: CallerStack;
  readonly resolve: (response: AtResponse) => void;
  readonly reject: (error: Error) => void;
  lines: string[];
  chars: number;
  blocks: RxgetBlock[];
  echoSeen: boolean;
  promptSeen: boolean;
  timer: Timer | undefined;
  /** Bounds the wait in the queue while the port is in data mode. */
  queueTimer: Timer | undefined;
  /** Failed (timeout, overflow, reset): kept only to absorb its late answer. */
  zombie: boolean;
}

export function newPending(
  text: string,
  options: CommandOptions,
  defaultTimeoutMs: number,
  origin: CallerStack,
  resolve: (response: AtResponse) => void,
  reject: (error: Error) => void,
): Pending {
  return {
    text,
    bytes: Buffer.from(`${text}\r`, 'latin1'),
    options,
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    prefixes: options.responsePrefixes ?? defaultPrefixes(text),
    explicitPrefixes: options.responsePrefixes !== undefined,
    query: /\?$/.test(text),
    origin,
    resolve,
    reject,
    lines: [],
    chars: 0,
    blocks: [],
    echoSeen: false,
    promptSeen: false,
    timer: undefined,
    queueTimer: undefined,
    zombie: false,
  };
}

/** The echo state after `pending` ended with `final`: as observed, or as `ATE0/1`, `ATZ`, `AT&F` set it. */
export function echoAfter(pending: Pending, final: string, observed: EchoState): EchoState {
  let state = observed;
  if (final !== 'OK') return state;
  for (const c of commandsOf(pending.text)) {
    if (c.name === 'E') {
      const value = c.params[0];
      state = value !== undefined && value.kind !== 'empty' && value.value === '1' ? 'on' : 'off';
    } else if (c.name === 'Z' || c.name === '&F') {
      state = 'unknown';
    }
  }
  return state;
}

/** The default response prefix: `+NAME:` of an extended command (`+CICCID` answers `+ICCID:`). */
export function defaultPrefixes(text: string): readonly string[] {
  const first = commandsOf(text)[0];
  if (first === undefined || !/^[+*$^]/.test(first.name)) return [];
  if (first.name === '+CICCID') return ['+ICCID:'];
  return [`${first.name}:`];
}

export function startsWithAny(line: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) if (line.startsWith(p)) return true;
  return false;
}

export function matchesAny(line: string, patterns: readonly RegExp[]): boolean {
  for (const re of patterns) if (re.test(line)) return true;
  return false;
}
