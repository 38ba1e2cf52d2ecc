import type { SocketService } from '../links.js';
import type { RadioPort } from '../module-port.js';
import type { RadioTimers } from '../radio/timers.js';
import type { SslService } from '../ssl/service.js';
import type { TransparentMode } from '../transparent.js';

/**
 * The module as command handlers see it (`ctx.modem`): its state and settings, its URC sink and
 * clock, and the parts it owns. `EmulatedModem` is one; handlers never import it, so a handler can
 * be run against any object of this shape.
 */
export interface CommandModule extends RadioPort {
  /** The socket service: links, servers, NETOPEN, receive buffers (links.ts). */
  readonly sockets: SocketService;
  /** The SSL service: CCH sessions, contexts, certificates (ssl/service.ts). */
  readonly ssl: SslService;
  /** Transparent mode on link 0 (transparent.ts). */
  readonly transparent: TransparentMode;
  /** Timers of the radio (boot steps, AUTOCSQ, pings, NTP, a scheduled reboot) that die with the life. */
  readonly radioTimers: RadioTimers;
  /** Reboot now (the boot sequence's `scheduleReboot` calls it once the reply is out). */
  reboot(): void;
  /** What the module prints, as it leaves (AT+IPR switches the line once its OK is out). */
  on(event: 'output', listener: (bytes: Buffer) => void): unknown;
  off(event: 'output', listener: (bytes: Buffer) => void): unknown;
  /** AT+CPOF: end this life without a new one; input is lost until the next power-on (`reboot`). */
  powerOff(): void;
}
