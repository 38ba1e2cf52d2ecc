import { Err } from '../at/errors.js';
import type { Timer } from './clock.js';
import { rejectOnAbort } from './life.js';
import type { Link } from './link.js';
import { asNetworkError, NetworkError } from './network/types.js';

/**
 * Opening a client link (AT+CIPOPEN, TCP or UDP, command or transparent mode): the one path both
 * kinds take, with everything that may cut it short — the host closing the link, a network loss,
 * the CIPTIMEOUT open timeout, the module's reboot.
 */

/** What the socket service lends an open: its slots, and timers of the module's life. */
export interface OpenSlots {
  readonly links: (Link | undefined)[];
  schedule(ms: number, fn: () => void): Timer;
}

/** What `connect` opened, before it is known whether the link still wants it. */
export interface OpenedSocket {
  /** The link was closed or the module rebooted meanwhile: let the socket go. */
  discard(): void;
  /** Make it the link's socket and start receiving. */
  attach(): void;
}

/**
 * Run `connect` for `link` (already in its slot): `signal` aborts it, `aborted` rejects then (to
 * race a step that takes no signal). Gives the `<err>` of `+CIPOPEN: <n>,<err>` (0 opened, 1
 * failed, 6 bind, 10 timeout, 11 DNS), or undefined when `life` ended meanwhile (print nothing).
 */
export async function openOnSlot(
  slots: OpenSlots,
  life: AbortSignal,
  link: Link,
  timeoutMs: number | undefined,
  connect: (signal: AbortSignal, aborted: Promise<never>) => Promise<OpenedSocket>,
): Promise<number | undefined> {
  const abort = new AbortController();
  let timedOut = false;
  link.abortOpen = () => abort.abort();
  const timer =
    timeoutMs === undefined
      ? undefined
      : slots.schedule(timeoutMs, () => {
          timedOut = true;
          abort.abort();
        });
  const aborted = rejectOnAbort(abort.signal, () => new NetworkError('aborted', 'open aborted'));
  const failed = (err: number): number | undefined => {
    if (life.aborted) return undefined;
    if (slots.links[link.index] === link) slots.links[link.index] = undefined;
    return timedOut ? Err.Timeout : err;
  };
  try {
    const opened = await connect(abort.signal, aborted);
    timer?.cancel();
    link.abortOpen = undefined;
    // A close, a network loss or the timeout may abort the open just as the connect completes.
    if (life.aborted || slots.links[link.index] !== link || abort.signal.aborted) {
      opened.discard();
      return failed(Err.NetworkFailure);
    }
    link.state = 'open';
    opened.attach();
    return Err.Ok;
  } catch (err) {
    timer?.cancel();
    link.abortOpen = undefined;
    return failed(openErr(err));
  }
}

/** `<err>` of `+CIPOPEN:` for a failed open (spec §5.2 emulator mapping). */
function openErr(err: unknown): number {
  switch (asNetworkError(err).code) {
    case 'not-found':
      return Err.DnsFailed;
    case 'address-in-use':
      return Err.BindFailed;
    case 'timeout':
      return Err.Timeout;
    default:
      return Err.NetworkFailure;
  }
}
